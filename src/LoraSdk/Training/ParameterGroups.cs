using LoraSdk.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Training;

/// <summary>
/// How the trainable parameters are split into AdamW groups, each with its own peak learning rate and weight decay.
/// With <see cref="TrainerOptions.LoraPlusLrRatio"/> = 1 (plain LoRA) it is the trainer's two groups: matrices with
/// weight decay, then 1-D tensors and biases without. Any other ratio is LoRA+ (Hayou et al. 2024), grouped as PEFT's
/// <c>create_loraplus_optimizer</c> does: the adapters of Embedding layers (both <c>lora_embedding_A</c> and
/// <c>lora_embedding_B</c>) at <see cref="TrainerOptions.LoraPlusLrEmbedding"/>; every <c>lora_B</c> and every 1-D
/// tensor (biases and norms of modules_to_save) at ratio × the rate; everything else (<c>lora_A</c>, the matrices of
/// modules_to_save) at the rate. The groups are a pure function of the model and the options, in a fixed order, so a
/// checkpoint's optimizer state loads back into the same groups (<see cref="TrainerState.LoraPlusLrRatio"/> guards it).
/// </summary>
internal static class ParameterGroups
{
    /// <summary>The rate a group's peak is tied to.</summary>
    public enum Rate
    {
        /// <summary><see cref="TrainerOptions.LearningRate"/>.</summary>
        Base,
        /// <summary><see cref="TrainerOptions.LoraPlusLrEmbedding"/>.</summary>
        Embedding,
        /// <summary><see cref="TrainerOptions.LoraPlusLrRatio"/> × <see cref="TrainerOptions.LearningRate"/>.</summary>
        LoraB,
    }

    /// <summary>One AdamW group: its parameters (in the model's order), the rate its peak follows and its decay.</summary>
    public sealed record Group(Rate Rate, bool Decayed, IReadOnlyList<Parameter> Parameters)
    {
        /// <summary>This group's peak rate under <paramref name="options"/>; the schedule scales it step by step.</summary>
        public double PeakRate(TrainerOptions options) => Rate switch
        {
            Rate.Base => options.LearningRate,
            Rate.Embedding => options.LoraPlusLrEmbedding,
            _ => options.LoraPlusLrRatio * options.LearningRate,
        };
    }

    /// <summary>The non-empty groups of <paramref name="trainable"/> in a fixed order (base, embedding, B; decayed before not).</summary>
    public static IReadOnlyList<Group> Of(nn.Module model, IReadOnlyList<(string name, Parameter parameter)> trainable, TrainerOptions options)
    {
        var roles = options.UsesLoraPlus ? AdapterRoles(model) : [];
        Rate RateOf(Parameter p)
        {
            if (roles.TryGetValue(TensorStorage.Identity(p), out var role)) return role;
            return p.dim() == 1 ? Rate.LoraB : Rate.Base;
        }
        var assigned = trainable.Select(p => (p.parameter, Rate: options.UsesLoraPlus ? RateOf(p.parameter) : Rate.Base, Decayed: !NoDecay(p))).ToList();
        return (from rate in new[] { Rate.Base, Rate.Embedding, Rate.LoraB }
                from decayed in new[] { true, false }
                let members = assigned.Where(a => a.Rate == rate && a.Decayed == decayed).Select(a => a.parameter).ToList()
                where members.Count > 0
                select new Group(rate, decayed, members)).ToList();
    }

    /// <summary>Biases and 1-D tensors (norm weights, scales) take no weight decay, in every group.</summary>
    private static bool NoDecay((string name, Parameter parameter) p) =>
        p.parameter.dim() < 2 || p.name.EndsWith(".bias", StringComparison.Ordinal) || p.name == "bias";

    /// <summary>
    /// The LoRA+ rate of each adapter tensor, found by identity (the trainer's names are registration names, not PEFT's):
    /// an Embedding layer's adapter tensors take the embedding rate; <c>lora_B</c> the B rate; 1-D ones (a DoRA
    /// magnitude vector, say) the B rate as PEFT puts every 1-D tensor there; the rest (<c>lora_A</c>) the base rate.
    /// </summary>
    private static Dictionary<(IntPtr, long, long), Rate> AdapterRoles(nn.Module model)
    {
        var roles = new Dictionary<(IntPtr, long, long), Rate>();
        foreach (var (_, adapter) in model.ActiveLoraAdapters())
        {
            foreach (var (name, tensor) in adapter.ParameterNames)
            {
                Rate rate = adapter is EmbeddingLoraAdapter && name.StartsWith("lora_embedding_", StringComparison.Ordinal) ? Rate.Embedding
                    : name.StartsWith("lora_B", StringComparison.Ordinal) || tensor.dim() == 1 ? Rate.LoraB
                    : Rate.Base;
                roles[TensorStorage.Identity(tensor)] = rate;
            }
        }
        return roles;
    }

    /// <summary>AdamW over <paramref name="groups"/>, each at its peak rate and with its decay (0 for the undecayed).</summary>
    public static optim.Optimizer AdamW(IReadOnlyList<Group> groups, TrainerOptions options) =>
        optim.AdamW(groups.Select(g => new AdamW.ParamGroup(g.Parameters, g.PeakRate(options), options.Beta1, options.Beta2, options.Epsilon,
                g.Decayed ? options.WeightDecay : 0, false, false)).ToList(),
            options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
}
