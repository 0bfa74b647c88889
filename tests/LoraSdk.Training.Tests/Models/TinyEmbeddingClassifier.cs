using LoraSdk.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Training.Tests.Models;

/// <summary>
/// Adapted byte embeddings → masked mean → adapted hidden layer → classifier (trained in full via modules_to_save):
/// every kind of parameter the LoRA+ groups tell apart (lora_A, lora_B, embedding adapters, a full matrix and a bias).
/// </summary>
public sealed class TinyEmbeddingClassifier : nn.Module<Tensor, Tensor, Tensor>, ILoraTrainableModel
{
    private readonly Embedding embed;
    private readonly Linear hidden;
    private readonly Linear classifier;

    public TinyEmbeddingClassifier(LoraOptions lora, int labels = 2, int dim = 16, long seed = 5) : base(nameof(TinyEmbeddingClassifier))
    {
        torch.manual_seed(seed);
        embed = nn.Embedding(258, dim);
        hidden = nn.Linear(dim, dim);
        classifier = nn.Linear(dim, labels);
        RegisterComponents();
        LoraAdapter.Attach(this, nameof(embed), embed, lora);
        LoraAdapter.Attach(this, nameof(hidden), hidden, lora);
    }

    public LoraTask Task => LoraTask.SequenceClassification;

    public Tensor ComputeLogits(Tensor inputIds, Tensor attentionMask) => forward(inputIds, attentionMask);

    public override Tensor forward(Tensor inputIds, Tensor attentionMask)
    {
        using var mask = attentionMask.unsqueeze(-1).to(float32);
        using var x = LoraRouter.Forward(embed, inputIds, "TinyEmbeddingClassifier.embed");
        using var summed = (x * mask).sum(1);
        using var pooled = summed / mask.sum(1).clamp_min(1);
        using var h = LoraRouter.Forward(hidden, pooled, "TinyEmbeddingClassifier.hidden");
        using var a = h.tanh();
        return classifier.forward(a);
    }

    /// <summary>
    /// Gives every adapter tensor random values, so that the first step moves all of them (a zero B, or PEFT's zero
    /// embedding A, would leave its partner's gradient zero).
    /// </summary>
    public void RandomizeAdapters(long seed)
    {
        torch.manual_seed(seed);
        using var _ = torch.no_grad();
        foreach (var (_, parameter) in this.LoraParameters()) parameter.normal_(0, 0.5);
    }
}
