namespace Company.LoraProject.Training;

/// <summary>The "LoRA" section of appsettings.json (override any key on the command line: --LoRA:Epochs=2).</summary>
public sealed class FineTuneSettings
{
    public const string SectionName = "LoRA";

    /// <summary>Training images, one sub-folder per label.</summary>
    public string Dataset { get; set; } = "images/train";

    /// <summary>Validation images with the same label folders.</summary>
    public string? ValidationDataset { get; set; } = "images/validation";

    /// <summary>Images are resized to this square; larger costs more per step (multiples of 32 match the network best).</summary>
    public int ImageSize { get; set; } = 64;

    /// <summary>Use only the first this many images of each label (0: all), for quick trials.</summary>
    public int MaxImagesPerClass { get; set; }

    public int Epochs { get; set; } = 1;
    public int BatchSize { get; set; } = 32;
    public double LearningRate { get; set; } = 2e-3;
    public double WeightDecay { get; set; } = 0.01;
    public int WarmupSteps { get; set; } = 5;
    public int LogEvery { get; set; } = 10;
    public long Seed { get; set; } = 42;

    /// <summary>TorchSharp threads (0: TorchSharp's default).</summary>
    public int Threads { get; set; } = 1;

    /// <summary>The adapter folder (PEFT format) plus labels.txt.</summary>
    public string Output { get; set; } = "obj/lora/fashion";

    /// <summary>Makes the paths absolute against the content root.</summary>
    public void ResolvePaths(string root)
    {
        Dataset = Path.GetFullPath(Dataset, root);
        ValidationDataset = string.IsNullOrWhiteSpace(ValidationDataset) ? null : Path.GetFullPath(ValidationDataset, root);
        Output = Path.GetFullPath(Output, root);
    }
}
