using LoraSdk.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Training.TestHost;

/// <summary>
/// A bigram-sized language model: embedding → adapted hidden layer → adapted head. Built under a fixed seed.
/// <see cref="StepDelay"/> slows each forward down so a test can signal the process while it trains.
/// </summary>
public sealed class TinyCausalLm : nn.Module<Tensor, Tensor>, ILoraTrainableModel
{
    private readonly Embedding embed;
    private readonly Linear hidden;
    private readonly Linear head;

    public TinyCausalLm(LoraOptions lora, int vocabulary = 258, int dim = 16, long seed = 1234) : base(nameof(TinyCausalLm))
    {
        torch.manual_seed(seed);
        embed = nn.Embedding(vocabulary, dim);
        hidden = nn.Linear(dim, dim);
        head = nn.Linear(dim, vocabulary);
        RegisterComponents();
        LoraAdapter.Attach(this, nameof(hidden), hidden, lora);
        LoraAdapter.Attach(this, nameof(head), head, lora);
    }

    public LoraTask Task => LoraTask.CausalLanguageModeling;

    public Tensor ComputeLogits(Tensor inputIds, Tensor attentionMask) => forward(inputIds);

    public static TimeSpan StepDelay { get; set; }

    public override Tensor forward(Tensor inputIds)
    {
        if (StepDelay > TimeSpan.Zero) Thread.Sleep(StepDelay);
        using var x = embed.forward(inputIds);
        using var h = LoraRouter.Forward(hidden, x, "TinyCausalLm.hidden");
        using var a = h.tanh();
        return LoraRouter.Forward(head, a, "TinyCausalLm.head");
    }
}
