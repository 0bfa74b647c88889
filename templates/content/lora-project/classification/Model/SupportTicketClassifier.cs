using LoraSdk.Models;
using LoraSdk.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Company.LoraProject.Model;

/// <summary>
/// Sorts a support message into one of the intents: the pretrained MiniLM sentence encoder (embeddings, six
/// <see cref="EncoderLayer"/>s), the mean of its token vectors, and a linear <c>classifier</c> head. Training
/// updates only the LoRA adapters of <see cref="SelfAttention"/> and the head (appsettings.json lists it
/// under ModulesToSave), so the adapter file holds a few hundred KB instead of the 90 MB encoder.
/// </summary>
public sealed class SupportTicketClassifier : nn.Module<Tensor, Tensor, Tensor>, ILoraTrainableModel
{
    private readonly BertEmbeddings embeddings;
    private readonly Encoder encoder;
    private readonly Linear classifier;

    public SupportTicketClassifier(BertConfig config, int labelCount) : base(nameof(SupportTicketClassifier))
    {
        embeddings = new BertEmbeddings(config);
        encoder = new Encoder(config);
        classifier = nn.Linear(config.HiddenSize, labelCount);
        RegisterComponents();
    }

    /// <summary>The model with all-MiniLM-L6-v2's pretrained weights and a fresh head, on the GPU when there is one.</summary>
    public static SupportTicketClassifier FromPretrained(int labelCount)
    {
        var model = new SupportTicketClassifier(BertConfig.MiniLmL6, labelCount);
        PretrainedMiniLm.LoadWeights(model);
        return model.to(PretrainedMiniLm.Device);
    }

    public LoraTask Task => LoraTask.SequenceClassification;

    public Tensor ComputeLogits(Tensor inputIds, Tensor attentionMask) => forward(inputIds, attentionMask);

    /// <returns>One logit per intent, (batch × labels).</returns>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var hidden = embeddings.call(inputIds, zeros_like(inputIds));
        hidden = encoder.call(hidden, BertModel.AdditiveMask(attentionMask, hidden.dtype));
        return classifier.forward(Pooling.MeanPool(hidden, attentionMask)).MoveToOuterDisposeScope();
    }

    /// <summary>The layer stack (state-dict names encoder.layer.N, as in the pretrained checkpoint).</summary>
    private sealed class Encoder : nn.Module<Tensor, Tensor, Tensor>
    {
        private readonly ModuleList<EncoderLayer> layer;

        public Encoder(BertConfig config) : base(nameof(Encoder))
        {
            layer = nn.ModuleList(Enumerable.Range(0, config.NumLayers).Select(_ => new EncoderLayer(config)).ToArray());
            RegisterComponents();
        }

        public override Tensor forward(Tensor hidden, Tensor padding)
        {
            foreach (var block in layer) hidden = block.call(hidden, padding);
            return hidden;
        }
    }
}
