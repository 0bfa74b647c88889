using System.Runtime.InteropServices;
using LoraSdk.Models.Onnx.Proto;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>Turns an ONNX initializer (TensorProto) into a float32 tensor, checking its size against its shape.</summary>
internal static class OnnxTensorDecoder
{
    // TensorProto.DataType values of the ONNX specification.
    private const int Float = 1;
    private const int Double = 11;
    private const int External = 1;

    public static Tensor Decode(TensorProto proto, string source)
    {
        if (proto.DataLocation == External)
            throw new WeightImportException(source, $"initializer '{proto.Name}' keeps its data in an external file, which is not supported; save the model with its weights inside.");
        long[] dims = [.. proto.Dims];
        long count = dims.Aggregate(1L, (a, b) => a * b);
        return proto.DataType switch
        {
            Float => DecodeFloat(proto, dims, count, source),
            Double => FromRaw<double>(proto, dims, count, source).to_type(ScalarType.Float32),
            _ => throw new WeightImportException(source, $"initializer '{proto.Name}' has ONNX data type {proto.DataType}; only float (1) and double (11) weights are supported."),
        };
    }

    private static Tensor DecodeFloat(TensorProto proto, long[] dims, long count, string source)
    {
        if (proto.RawData.IsEmpty && proto.FloatData.Count > 0)
        {
            if (proto.FloatData.Count != count) throw SizeMismatch(proto, dims, proto.FloatData.Count * 4L, count * 4, source);
            return tensor(proto.FloatData.ToArray(), dims);
        }
        return FromRaw<float>(proto, dims, count, source);
    }

    private static Tensor FromRaw<T>(TensorProto proto, long[] dims, long count, string source) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        if (proto.RawData.Length != count * size) throw SizeMismatch(proto, dims, proto.RawData.Length, count * size, source);
        // ONNX raw data is little-endian, as is every platform TorchSharp runs on.
        var values = MemoryMarshal.Cast<byte, T>(proto.RawData.Span).ToArray();
        return values switch
        {
            float[] f => tensor(f, dims),
            double[] d => tensor(d, dims),
            _ => throw new NotSupportedException(typeof(T).Name),
        };
    }

    private static WeightImportException SizeMismatch(TensorProto proto, long[] dims, long actual, long expected, string source) =>
        new(source, $"initializer '{proto.Name}' holds {actual} bytes but its shape [{string.Join(", ", dims)}] needs {expected}: the file is truncated or corrupt.");
}
