using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// Releases the managed handles that TorchSharp's custom-autograd wrapper leaves to a node's <c>backward</c>. The
/// wrapper gives <c>backward</c> a new handle of the incoming gradient and never disposes it, and it passes the
/// handles of the returned gradients to libtorch, which copies them (its own references) and leaves the handles
/// alive. Each handle keeps its full-size storage until a dispose scope ends or the GC finalizes it: in a training
/// step, until the whole backward pass is over, so every adapted layer's incoming and input gradients would be
/// resident at once at the step's peak. <see cref="Finish"/> disposes the incoming gradient's handle when the
/// backward is done with it, and the returned gradients' handles at the next backward on the same thread (by
/// then libtorch has taken them). Disposing a handle only drops one reference: libtorch's stay valid, and a dispose
/// scope that later disposes the same handle again does nothing.
/// </summary>
internal static class BackwardHandles
{
    [ThreadStatic] private static List<Tensor>? _returnedBefore;

    /// <summary>Call at the end of a <c>backward</c>: returns <paramref name="grads"/> for the wrapper to hand over.</summary>
    public static List<Tensor> Finish(Tensor gradOutput, List<Tensor> grads)
    {
        ReleaseReturnedBefore();
        gradOutput.Dispose();
        _returnedBefore = grads.Where(grad => grad is not null).ToList();
        return grads;
    }

    private static void ReleaseReturnedBefore()
    {
        if (_returnedBefore is not { } returned) return;
        foreach (var grad in returned) grad.Dispose();
        _returnedBefore = null;
    }
}
