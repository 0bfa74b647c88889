using LoraSdk.Models;

namespace LoraSdk.Models.Tests;

/// <summary>The package's ONNX bytes, the imported C# encoder and the tokenizer, loaded once per test run.</summary>
public sealed class MiniLmFixture : IDisposable
{
    public MiniLmFixture()
    {
        using (var stream = MiniLmPackage.OpenOnnxModel())
        using (var copy = new MemoryStream())
        {
            stream.CopyTo(copy);
            OnnxBytes = copy.ToArray();
        }
        Encoder = MiniLmPackage.LoadEncoder();
        Text = MiniLmPackage.LoadTextEncoder();
    }

    public byte[] OnnxBytes { get; }

    public BertModel Encoder { get; }

    public BertTextEncoder Text { get; }

    public void Dispose() => Encoder.Dispose();
}

[CollectionDefinition(Name)]
public sealed class MiniLmCollection : ICollectionFixture<MiniLmFixture>
{
    public const string Name = "MiniLM";
}
