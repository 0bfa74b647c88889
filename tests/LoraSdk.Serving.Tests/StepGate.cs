using LoraSdk.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Serving.Tests;

/// <summary>
/// Holds a served <see cref="CausalLM"/> inside its n-th decoding step (counted by its token embedding's calls: one per
/// step, the prefill first) until <c>release</c> returns, so a test can look at the server while the model is at a
/// known point instead of racing it. Only that one step is held.
/// </summary>
internal sealed class StepGate : IDisposable
{
    private readonly Action _removeHook;
    private int _steps;

    public StepGate(CausalLM model, int blockAtStep, Func<bool> release)
    {
        var embedding = (nn.Module<Tensor, Tensor>)model.named_modules().Single(m => m.name == "model.embed_tokens").module;
        var hook = embedding.register_forward_hook((_, _, _) =>
        {
            if (Interlocked.Increment(ref _steps) == blockAtStep)
            {
                Entered.Set();
                ReleasedInTime = release();
            }
            return null!;
        });
        _removeHook = () => hook.remove();
    }

    /// <summary>Set once the held step is reached.</summary>
    public ManualResetEventSlim Entered { get; } = new(false);

    public bool Reached => Entered.IsSet;

    /// <summary>What <c>release</c> returned: false when it gave up waiting.</summary>
    public bool ReleasedInTime { get; private set; }

    public void Dispose()
    {
        _removeHook();
        Entered.Dispose();
    }
}
