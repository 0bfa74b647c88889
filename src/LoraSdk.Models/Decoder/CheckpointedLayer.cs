using LoraSdk.Native;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Gradient checkpointing of one decoder layer (what <c>torch.utils.checkpoint</c> does, which TorchSharp lacks): the
/// forward runs without recording a graph and keeps only the layer's input, so a layer's activations are never held
/// for the whole backward pass; this node's backward runs the layer again with a graph and takes the gradients of its
/// input and trainable parameters from that. Peak activation memory is then one layer's, plus one hidden state per
/// layer. The adapters' dropout draws from the CPU generator, so its state is saved and put back for the recomputation,
/// which then draws the same masks; other devices' generators are not reachable from TorchSharp, so checkpointing
/// with active dropout is refused there rather than computing gradients of different masks. After each layer (its
/// no-graph forward, its recomputation and backward) the heap is trimmed (<see cref="MallocTrim"/>): glibc kept the
/// freed activations, and the SmolLM2-135M shape at 1,024 tokens peaked at 2.44 GB with checkpointing (0.68× without)
/// before, 1.65 GB after (docs/training.md).
/// </summary>
internal sealed class CheckpointedLayer : autograd.SingleTensorFunction<CheckpointedLayer>
{
    private const int FirstParameter = 5; // vars: layer, hidden, cos, sin, additive mask, then the trainable parameters

    public override string Name => nameof(CheckpointedLayer);

    /// <summary>The layer's output, through the checkpointing node when anything it would differentiate requires a gradient.</summary>
    public static Tensor Forward(DecoderLayer layer, Tensor hidden, Tensor cos, Tensor sin, Tensor additive)
    {
        var parameters = layer.parameters().Where(p => p.requires_grad).Cast<Tensor>().ToList();
        if (parameters.Count == 0 && !hidden.requires_grad) return layer.Forward(hidden, cos, sin, additive, null);
        bool dropout = layer.ActiveLoraAdapters().Any(a => a.Adapter.DropoutActive);
        if (dropout && hidden.device.type != TorchSharp.DeviceType.CPU)
            throw new NotSupportedException(
                $"Gradient checkpointing with adapter dropout runs on the CPU only (its recomputation must draw the same dropout masks, and TorchSharp " +
                $"gives access to the CPU generator's state alone); this model is on {hidden.device}. Set the adapters' dropout to 0 or turn checkpointing off.");
        object[] vars = [layer, hidden, cos, sin, additive, .. parameters];
        return apply(vars);
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var layer = (DecoderLayer)vars[0];
        var (hidden, cos, sin, additive) = ((Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (Tensor)vars[4]);
        // The generator's state as bytes: a tensor cannot be kept in the context's data.
        byte[]? rngState = null;
        if (layer.ActiveLoraAdapters().Any(a => a.Adapter.DropoutActive))
            using (var state = get_rng_state()) rngState = state.data<byte>().ToArray();
        Tensor output;
        using (no_grad()) output = layer.Forward(hidden, cos, sin, additive, null);
        MallocTrim.Release(); // see backward
        ctx.save_for_backward([hidden, cos, sin, additive]);
        ctx.save_data(nameof(layer), layer);
        ctx.save_data("inputNeedsGrad", hidden.requires_grad);
        ctx.save_data("count", vars.Length);
        if (rngState is not null) ctx.save_data(nameof(rngState), rngState);
        return output;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        int count = (int)ctx.get_data("count");
        var grads = new List<Tensor>(new Tensor[count]);
        var saved = ctx.get_saved_variables();
        try
        {
            if (gradOutput is null || gradOutput.IsInvalid) return grads;
            var layer = (DecoderLayer)ctx.get_data("layer");
            bool inputNeedsGrad = (bool)ctx.get_data("inputNeedsGrad");
            var rngState = ctx.get_data("rngState") as byte[];
            var parameters = layer.parameters().Where(p => p.requires_grad).Cast<Tensor>().ToList();
            if (parameters.Count != count - FirstParameter)
                throw new InvalidOperationException("The layer's trainable parameters changed between forward and backward; gradient checkpointing cannot recompute it.");
            using var scope = NewDisposeScope();
            var input = saved[0].detach().requires_grad_(inputNeedsGrad);
            Tensor output;
            using (enable_grad())
            {
                using var current = rngState is null ? null : get_rng_state();
                if (rngState is not null) set_rng_state(tensor(rngState, ScalarType.Byte));
                output = layer.Forward(input, saved[1], saved[2], saved[3], null);
                if (current is not null) set_rng_state(current);
            }
            var differentiated = inputNeedsGrad ? [input, .. parameters] : parameters;
            var results = autograd.grad([output], differentiated, [gradOutput]);
            int next = 0;
            if (inputNeedsGrad) grads[1] = results[next++].MoveToOuterDisposeScope();
            for (int i = 0; i < parameters.Count; i++) grads[FirstParameter + i] = results[next++].MoveToOuterDisposeScope();
        }
        finally
        {
            foreach (var tensor in saved) tensor?.Dispose();
        }
        // The recomputed layer's activations are freed by now, but glibc keeps freed heap chunks and the next layer does
        // not reuse all of them: without this, RSS grew by about a layer's activations per layer (measured), which is the
        // memory checkpointing exists to save.
        MallocTrim.Release();
        return BackwardHandles.Finish(gradOutput, grads);
    }
}
