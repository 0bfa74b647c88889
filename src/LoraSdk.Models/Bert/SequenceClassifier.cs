using LoraSdk.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Text classification on a BERT encoder: mean pooling over the tokens, dropout, then a linear layer to
/// one logit per label. The encoder is the child <c>bert</c>; the head is <c>classifier</c> (list it in
/// <c>FreezeBase("classifier")</c> or the trainer's <c>ModulesToSave</c> so it trains alongside the LoRA
/// adapters, PEFT's <c>modules_to_save</c>).
/// </summary>
public sealed class SequenceClassifier : nn.Module<Tensor, Tensor, Tensor>, ILoraTrainableModel
{
    private readonly BertModel bert;
    private readonly Linear classifier;
    private readonly double _dropout;

    /// <summary>A new encoder of <paramref name="config"/>'s sizes with a head for <paramref name="labelCount"/> labels.</summary>
    public SequenceClassifier(BertConfig config, int labelCount) : this(new BertModel(config), labelCount) { }

    /// <summary>A head for <paramref name="labelCount"/> labels on <paramref name="encoder"/> (e.g. pretrained).</summary>
    public SequenceClassifier(BertModel encoder, int labelCount) : base(nameof(SequenceClassifier))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(labelCount, 2);
        bert = encoder;
        classifier = nn.Linear(encoder.Config.HiddenSize, labelCount);
        _dropout = encoder.Config.HiddenDropout;
        LabelCount = labelCount;
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public BertModel Encoder => bert;

    /// <summary>The classifier head (<c>classifier</c>), trained and saved in full when listed in ModulesToSave.</summary>
    public Linear Head => classifier;

    /// <summary>The number of labels the head scores.</summary>
    public int LabelCount { get; }

    /// <inheritdoc/>
    public LoraTask Task => LoraTask.SequenceClassification;

    /// <inheritdoc/>
    public Tensor ComputeLogits(Tensor inputIds, Tensor attentionMask) => call(inputIds, attentionMask);

    /// <returns>Logits, (batch × labels).</returns>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var hidden = bert.call(inputIds, attentionMask);
        var pooled = nn.functional.dropout(Pooling.MeanPool(hidden, attentionMask), _dropout, training);
        return classifier.forward(pooled).MoveToOuterDisposeScope();
    }
}
