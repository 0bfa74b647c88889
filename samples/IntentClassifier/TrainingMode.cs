namespace IntentClassifier;

/// <summary>Which parameters train.</summary>
public enum TrainingMode
{
    /// <summary>The classifier head only, on the frozen pretrained encoder.</summary>
    Probe,

    /// <summary>LoRA adapters (r = 8 on query/value) plus the classifier head.</summary>
    Lora,

    /// <summary>Every weight of the encoder plus the head (adapters switched off).</summary>
    Full,
}
