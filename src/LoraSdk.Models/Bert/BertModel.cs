using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// A BERT-style encoder matching HuggingFace <c>BertModel</c> numerics (without the pooler):
/// input ids and attention mask in, last hidden state (batch × sequence × hidden) out. Module paths are
/// HuggingFace's (<c>encoder.layer.0.attention.self.query</c>); adapters saved with the older LoraSdk paths
/// load with a warning (<see cref="IRenamedModulePaths"/>).
/// </summary>
public sealed class BertModel : nn.Module<Tensor, Tensor, Tensor>, IRenamedModulePaths
{
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;

    public BertModel(BertConfig config) : base(nameof(BertModel))
    {
        Config = config.Validate();
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        RegisterComponents();
    }

    public BertConfig Config { get; }

    public BertEmbeddings Embeddings => embeddings;

    public BertEncoder Encoder => encoder;

    string? IRenamedModulePaths.CurrentPath(string oldPath) => LegacyBertPaths.CurrentPath(oldPath);

    string IRenamedModulePaths.RenameSummary => LegacyBertPaths.Summary;

    /// <param name="inputIds">(batch × sequence), int64.</param>
    /// <param name="attentionMask">(batch × sequence): 1 for tokens, 0 for padding.</param>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask) => Forward(inputIds, attentionMask, tokenTypeIds: null);

    /// <summary>As <see cref="forward"/>, with segment ids for sentence pairs (zeros when null).</summary>
    public Tensor Forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds)
    {
        if (inputIds.dim() != 2 || !attentionMask.shape.SequenceEqual(inputIds.shape))
            throw new ArgumentException(
                $"BertModel expects input ids and attention mask of the same (batch × sequence) shape; got [{string.Join(", ", inputIds.shape)}] and [{string.Join(", ", attentionMask.shape)}].");
        if (inputIds.shape[1] > Config.MaxPositions)
            throw new ArgumentException($"Sequence length {inputIds.shape[1]} exceeds the model's {Config.MaxPositions} positions.");
        using var scope = NewDisposeScope();
        var types = tokenTypeIds ?? zeros_like(inputIds);
        var hidden = embeddings.call(inputIds, types);
        var mask = AdditiveMask(attentionMask, hidden.dtype);
        return encoder.call(hidden, mask).MoveToOuterDisposeScope();
    }

    /// <summary>(batch × sequence) 1/0 mask → (batch × 1 × 1 × sequence) additive mask: 0 or the dtype's minimum.</summary>
    public static Tensor AdditiveMask(Tensor attentionMask, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var keep = attentionMask.to_type(dtype).unsqueeze(1).unsqueeze(2);
        double minimum = dtype == ScalarType.Float64 ? double.MinValue : float.MinValue;
        return ((1.0 - keep) * minimum).MoveToOuterDisposeScope();
    }
}
