namespace LoraSdk.Training;

/// <summary>What a model is trained to do, which decides its loss.</summary>
public enum LoraTask
{
    /// <summary>Next-token prediction; logits are (batch × length × vocabulary); padded positions are not scored.</summary>
    CausalLanguageModeling,

    /// <summary>One label per example; logits are (batch × labels); cross-entropy over the labels.</summary>
    SequenceClassification,
}
