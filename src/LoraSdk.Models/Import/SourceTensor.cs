using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>A weight read from a file, with the name it has there (for error messages).</summary>
public sealed record SourceTensor(Tensor Tensor, string NameInFile);
