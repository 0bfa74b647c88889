using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// The decoder's weight-holding layers, either randomly initialised (a model built from a config) or uninitialised
/// (<see cref="CausalLM.Load"/>, which overwrites every value from the checkpoint at once). Loading must not draw a
/// random init it then discards: that writes every page of the float weights (and costs most of a load's time), and
/// for a quantized base those float weights exist only until the layer is quantized.
/// </summary>
internal static class DecoderWeights
{
    /// <summary>A Linear (out × in), with nn.Linear's kaiming init when <paramref name="initialise"/>, else uninitialised.</summary>
    public static Linear Linear(long inFeatures, long outFeatures, bool hasBias, bool initialise)
    {
        if (initialise) return nn.Linear(inFeatures, outFeatures, hasBias: hasBias);
        var weight = new Parameter(empty(outFeatures, inFeatures));
        return nn.Linear(weight, hasBias ? new Parameter(empty(outFeatures)) : null);
    }

    /// <summary>An Embedding (count × width), with nn.Embedding's normal init when <paramref name="initialise"/>, else uninitialised.</summary>
    public static Embedding Embedding(long count, long width, bool initialise)
    {
        if (initialise) return nn.Embedding(count, width);
        // TorchSharp's Embedding is a native module whose every constructor draws its init (from_pretrained and the meta
        // device included: both were measured to write a full-size weight first). So a 1 × 1 one is built, the CPU
        // generator put back to where it was (a load draws nothing for its base weights), and the real weight set.
        Embedding embedding;
        using (var state = get_rng_state())
        {
            embedding = nn.Embedding(1, 1);
            set_rng_state(state);
        }
        embedding.weight = new Parameter(empty(count, width), requires_grad: false);
        return embedding;
    }
}
