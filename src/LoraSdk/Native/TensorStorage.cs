using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace LoraSdk.Native;

/// <summary>
/// Which memory a tensor's values live in. Tied weights (<c>head.weight = tok.weight</c>) are separate
/// TorchSharp wrappers (their handles differ, so <c>named_parameters()</c> lists both) over one storage;
/// only the storage's address tells that they are one tensor.
/// </summary>
internal static class TensorStorage
{
    /// <summary>
    /// The address of the storage behind <paramref name="tensor"/> (views share their base's), any dtype and
    /// device; <see cref="IntPtr.Zero"/> for a tensor without data. TorchSharp's <c>storage&lt;T&gt;()</c> would
    /// convert a tensor of another element type first (a copy, at another address), so the native call is used.
    /// </summary>
    public static IntPtr Address(Tensor tensor) => THSStorage_data_ptr(tensor.Handle);

    /// <summary>One key per distinct tensor: storage, offset and size (a view of part of a tensor is another key).</summary>
    public static (IntPtr Storage, long Offset, long Count) Identity(Tensor tensor) =>
        (Address(tensor), tensor.storage_offset(), tensor.numel());

    [DllImport("LibTorchSharp")]
    private static extern IntPtr THSStorage_data_ptr(IntPtr tensor);
}
