using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Batch normalisation with the pretrained running statistics, in training as in evaluation. Fine-tuning keeps
/// the statistics the base model was trained with: they are not parameters, so neither an adapter file nor
/// PEFT's modules_to_save would carry updated values, and small fine-tuning batches would only make them noisy.
/// Written as the per-channel affine map it is in evaluation, y = x·γ/√(var+ε) + (β − mean·γ/√(var+ε)):
/// (written so when <c>batch_norm(training: false)</c> returned NaN input gradients here; the cause was oneDNN's
/// AVX-512 kernels on AMD, now capped by OneDnnIsaCap).
/// </summary>
internal static class FrozenBatchNorm
{
    public static Tensor Apply(BatchNorm2d norm, Tensor input)
    {
        using var scope = NewDisposeScope();
        var scale = norm.weight! * (norm.running_var! + ResNet18.BatchNormEpsilon).rsqrt();
        var shift = norm.bias! - norm.running_mean! * scale;
        return input.mul(scale.view(1, -1, 1, 1)).add_(shift.view(1, -1, 1, 1)).MoveToOuterDisposeScope();
    }
}
