using LoraSdk.Files;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Models.Gguf;

/// <summary>
/// Writes a GGUF v3 file (the format llama.cpp, Ollama and LLamaSharp load): header, typed metadata, tensor infos
/// and aligned tensor data. Collect metadata with <see cref="Add"/> and tensors with <see cref="AddTensor"/>, then
/// <see cref="Write"/>: the file is written to a temporary name beside the target and renamed over it only when
/// complete, so a failed write never leaves a truncated file or damages one already there.
/// </summary>
/// <remarks>
/// Tensors are kept by reference and encoded one at a time while writing, so a model's weights are not copied
/// twice in memory. A tensor's GGUF dimensions are its torch shape reversed (ggml's first dimension is the
/// contiguous one): a torch <c>[out, in]</c> weight is <c>ne = [in, out]</c>.
/// </remarks>
public sealed class GgufWriter
{
    /// <summary>GGUF's default data alignment (used when <c>general.alignment</c> is absent).</summary>
    public const uint DefaultAlignment = 32;

    /// <summary>Longest tensor name ggml accepts, in UTF-8 bytes (its <c>GGML_MAX_NAME</c> less the terminator).</summary>
    public const int MaxTensorNameBytes = 63;

    private const uint Magic = 0x46554747; // "GGUF" read as a little-endian uint32
    private const uint Version = 3;
    private const string AlignmentKey = "general.alignment";

    private readonly List<(string Key, GgufValue Value)> _metadata = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    /// <summary>Starts an empty file with the given data alignment (a power of two; written as <c>general.alignment</c> unless it is the default 32).</summary>
    public GgufWriter(uint alignment = DefaultAlignment)
    {
        if (alignment == 0 || (alignment & (alignment - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "GGUF alignment must be a power of two.");
        Alignment = alignment;
        if (alignment != DefaultAlignment) AddEntry(AlignmentKey, GgufValue.UInt32(alignment));
    }

    /// <summary>The data alignment: tensor data starts, and every tensor's offset is, a multiple of it.</summary>
    public uint Alignment { get; }

    /// <summary>Metadata keys added so far, in file order.</summary>
    public IReadOnlyList<string> Keys => _metadata.Select(m => m.Key).ToList();

    /// <summary>Tensor names added so far, in file order.</summary>
    public IReadOnlyList<string> TensorNames => _tensors.Select(t => t.Name).ToList();

    /// <summary>Adds a metadata key/value. Keys are unique; <c>general.alignment</c> comes from the constructor.</summary>
    public GgufWriter Add(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (key == AlignmentKey)
            throw new ArgumentException($"'{AlignmentKey}' is set through the GgufWriter constructor, so the data is laid out with the alignment the file declares.", nameof(key));
        AddEntry(key, value);
        return this;
    }

    /// <summary>
    /// Adds a tensor, stored as <paramref name="type"/>. Its values are read (as float32) only when the file is
    /// written, so the tensor must stay alive and unchanged until <see cref="Write"/> returns. Q8_0 needs the last
    /// torch dimension (ggml's rows) to be a multiple of 32.
    /// </summary>
    public GgufWriter AddTensor(string name, Tensor tensor, GgufTensorType type)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(tensor);
        if (Encoding.UTF8.GetByteCount(name) > MaxTensorNameBytes)
            throw new ArgumentException($"Tensor name '{name}' is longer than ggml's {MaxTensorNameBytes} bytes.", nameof(name));
        if (!_tensorNames.Add(name))
            throw new ArgumentException($"Tensor '{name}' was already added to this GGUF file.", nameof(name));
        if (!torch.is_floating_point(tensor))
        {
            _tensorNames.Remove(name);
            throw new ArgumentException($"Tensor '{name}' has dtype {tensor.dtype}; GGUF export takes floating-point tensors.", nameof(tensor));
        }
        long[] shape = tensor.shape.Length == 0 ? [1] : tensor.shape;
        if (type == GgufTensorType.Q8_0 && shape[^1] % GgufTensorEncoder.Q8BlockSize != 0)
        {
            _tensorNames.Remove(name);
            throw new ArgumentException(
                $"Tensor '{name}' (shape [{string.Join(", ", shape)}]) cannot be Q8_0: its rows ({shape[^1]} values) are not a multiple of {GgufTensorEncoder.Q8BlockSize}.", nameof(type));
        }
        _tensors.Add(new PendingTensor(name, tensor, shape, type));
        return this;
    }

    /// <summary>Writes the file to <paramref name="path"/> (temporary file, then rename), replacing any file there.</summary>
    public void Write(string path)
    {
        AtomicFile.Write(path, WriteTo);
    }

    private void WriteTo(Stream stream)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(Version);
        writer.Write((ulong)_tensors.Count);
        writer.Write((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            GgufValue.WriteString(writer, key);
            writer.Write((uint)value.Type);
            value.WritePayload(writer);
        }

        long offset = 0;
        var offsets = new long[_tensors.Count];
        for (int i = 0; i < _tensors.Count; i++)
        {
            PendingTensor t = _tensors[i];
            offsets[i] = offset;
            GgufValue.WriteString(writer, t.Name);
            writer.Write((uint)t.Shape.Length);
            for (int d = t.Shape.Length - 1; d >= 0; d--) writer.Write((ulong)t.Shape[d]); // ggml order: contiguous first
            writer.Write((uint)t.Type);
            writer.Write((ulong)offset);
            offset = AlignUp(offset + t.ByteSize);
        }

        writer.Flush();
        Pad(writer, AlignUp(stream.Position) - stream.Position);
        long dataStart = stream.Position;
        for (int i = 0; i < _tensors.Count; i++)
        {
            PendingTensor t = _tensors[i];
            Pad(writer, dataStart + offsets[i] - stream.Position);
            WriteTensorData(writer, t);
            writer.Flush();
            if (stream.Position - dataStart - offsets[i] != t.ByteSize)
                throw new InvalidOperationException($"Tensor '{t.Name}' wrote {stream.Position - dataStart - offsets[i]} bytes, expected {t.ByteSize}.");
        }
        Pad(writer, AlignUp(stream.Position - dataStart) - (stream.Position - dataStart));
        writer.Flush();
    }

    /// <summary>Encodes one tensor in chunks (whole Q8_0 blocks), so a large embedding is never copied whole.</summary>
    private static void WriteTensorData(BinaryWriter writer, PendingTensor t)
    {
        const long chunk = 1 << 20; // a multiple of the Q8_0 block size
        using var scope = NewDisposeScope();
        Tensor flat = t.Tensor.detach().reshape(-1);
        long count = flat.shape[0];
        for (long start = 0; start < count; start += chunk)
        {
            using var inner = NewDisposeScope();
            Tensor part = flat.narrow(0, start, Math.Min(chunk, count - start)).to(ScalarType.Float32).cpu().contiguous();
            if (!part.isfinite().all().item<bool>())
                throw new InvalidDataException($"Tensor '{t.Name}' holds NaN or infinite values; refusing to write it.");
            GgufTensorEncoder.Write(writer, part.data<float>().ToArray(), t.Type);
        }
    }

    private void AddEntry(string key, GgufValue value)
    {
        if (!_keys.Add(key)) throw new ArgumentException($"Metadata key '{key}' was already added to this GGUF file.", nameof(key));
        _metadata.Add((key, value));
    }

    private long AlignUp(long n) => (n + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter writer, long bytes)
    {
        for (long i = 0; i < bytes; i++) writer.Write((byte)0);
    }

    private sealed record PendingTensor(string Name, Tensor Tensor, long[] Shape, GgufTensorType Type)
    {
        public long ByteSize { get; } = GgufTensorEncoder.ByteSize(Type, Shape.Aggregate(1L, (a, b) => a * b));
    }
}
