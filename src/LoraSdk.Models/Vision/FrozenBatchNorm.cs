using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Batch normalisation with the pretrained running statistics, in training as in evaluation. Fine-tuning keeps
/// the statistics the base model was trained with: they are not parameters, so neither an adapter file nor
/// PEFT's modules_to_save would carry updated values, and small fine-tuning batches would only make them noisy.
/// </summary>
internal static class FrozenBatchNorm
{
    public static Tensor Apply(BatchNorm2d norm, Tensor input) =>
        nn.functional.batch_norm(input, norm.running_mean!, norm.running_var!, norm.weight!, norm.bias!,
            training: false, momentum: 0.1, eps: ResNet18.BatchNormEpsilon);
}
