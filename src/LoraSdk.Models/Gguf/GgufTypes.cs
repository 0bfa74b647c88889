namespace LoraSdk.Models.Gguf;

/// <summary>The type tag of a GGUF metadata value (the numbers are the file format's).</summary>
public enum GgufValueType : uint
{
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 0,
    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 1,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 2,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 3,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 4,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 5,
    /// <summary>IEEE 754 single.</summary>
    Float32 = 6,
    /// <summary>One byte, 0 or 1.</summary>
    Bool = 7,
    /// <summary>UTF-8 string with a 64-bit length prefix.</summary>
    String = 8,
    /// <summary>Typed array: element type, 64-bit count, elements.</summary>
    Array = 9,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 10,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 11,
    /// <summary>IEEE 754 double.</summary>
    Float64 = 12,
}

/// <summary>How a tensor's elements are stored in a GGUF file (the numbers are ggml's <c>ggml_type</c>).</summary>
public enum GgufTensorType : uint
{
    /// <summary>32-bit floats.</summary>
    F32 = 0,
    /// <summary>IEEE half floats (round to nearest even).</summary>
    F16 = 1,
    /// <summary>Blocks of 32 values along a row: an F16 scale <c>d = max|x| / 127</c> and 32 signed bytes <c>round(x / d)</c>.</summary>
    Q8_0 = 8,
}
