using System.Text.Json;
using LoraSdk.Bench.Encoder;

namespace LoraSdk.Bench.Quantization;

/// <summary>
/// LoRA training steps of the encoder benchmark (MiniLM shape, batch 8 × 128) with adapters on all six Linears of
/// each layer, so nearly every encoder weight is a quantized base; the classifier head stays float32.
/// </summary>
public static class EncoderPart
{
    public sealed record Result(LoraBase Base, double MedianStepMilliseconds, long TrainingPeakRssBytes, long BaseWeightBytes, long BaseWeightFloat32Bytes, double LastLoss);

    public static string Run(QuantBenchSettings settings)
    {
        var shape = settings.Tiny ? BenchShape.Tiny : new BenchShape();
        var variant = EncoderVariant.Create("sdk", allLinears: true, shape);
        if (settings.Base != LoraBase.Float32) variant.Model.QuantizeBase(settings.Base, "classifier");
        var (bytes, float32) = variant.Model.BaseWeightBytes();
        IntentClassifier.ProcessMemory.ResetPeak(); // construction (random float weights) has its own peak: measure the training steps
        var steps = TrainStepBench.Run(shape, variant, lora: true, settings.Warmup, settings.Steps);
        return JsonSerializer.Serialize(new Result(settings.Base, steps.MedianStepMilliseconds, steps.PeakRssBytes, bytes, float32, steps.LastLoss));
    }
}
