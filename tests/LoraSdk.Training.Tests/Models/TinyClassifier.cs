using LoraSdk.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Training.Tests.Models;

/// <summary>Masked mean of byte embeddings → adapted hidden layer → classifier (trained in full via modules_to_save).</summary>
public sealed class TinyClassifier : nn.Module<Tensor, Tensor, Tensor>, ILoraTrainableModel
{
    private readonly Embedding embed;
    private readonly Linear hidden;
    private readonly Linear classifier;

    public TinyClassifier(LoraOptions lora, int labels, int dim = 16, long seed = 99) : base(nameof(TinyClassifier))
    {
        torch.manual_seed(seed);
        embed = nn.Embedding(258, dim);
        hidden = nn.Linear(dim, dim);
        classifier = nn.Linear(dim, labels);
        RegisterComponents();
        LoraAdapter.Attach(this, nameof(hidden), hidden, lora);
    }

    public LoraTask Task => LoraTask.SequenceClassification;

    public Tensor ComputeLogits(Tensor inputIds, Tensor attentionMask) => forward(inputIds, attentionMask);

    public override Tensor forward(Tensor inputIds, Tensor attentionMask)
    {
        using var mask = attentionMask.unsqueeze(-1).to(float32);
        using var x = embed.forward(inputIds);
        using var summed = (x * mask).sum(1);
        using var pooled = summed / mask.sum(1).clamp_min(1);
        using var h = LoraRouter.Forward(hidden, pooled, "TinyClassifier.hidden");
        using var a = h.tanh();
        return classifier.forward(a);
    }
}
