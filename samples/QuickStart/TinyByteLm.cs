using LoraSdk;
using LoraSdk.Data;
using LoraSdk.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace QuickStart;

/// <summary>
/// A tiny GPT-style language model over UTF-8 bytes: token + position embeddings, <see cref="Layers"/>
/// pre-norm transformer blocks, a byte head. Its "pretrained" base is NOT trained on anything: it is a
/// deterministic random initialisation from a fixed seed, which stands in for real base weights so the sample
/// runs anywhere in seconds with nothing to download. [LoRA] adapts the attention and MLP projections of
/// every block and the output head; the embeddings stay frozen.
/// </summary>
[LoRA(rank: 8, Alpha = 16, Dropout = 0.05)]
public sealed partial class TinyByteLm : nn.Module<Tensor, Tensor>, ILoraTrainableModel
{
    public const int Dim = 64, Heads = 4, Layers = 2, Context = 64, BaseSeed = 20240611;

    [NoLoRA] private readonly Embedding tokens;
    [NoLoRA] private readonly Embedding positions;
    private readonly ModuleList<Block> blocks;
    private readonly LayerNorm norm;
    private readonly Linear head;

    public TinyByteLm() : base(nameof(TinyByteLm))
    {
        // Base weights (and the adapters' initial values) come from their own seed, whatever seed training uses.
        using (new FixedSeed(BaseSeed))
        {
            int vocabulary = new ByteTokenizer().VocabularySize;
            tokens = nn.Embedding(vocabulary, Dim);
            positions = nn.Embedding(Context, Dim);
            blocks = nn.ModuleList(Enumerable.Range(0, Layers).Select(_ => new Block()).ToArray());
            norm = nn.LayerNorm(Dim);
            head = nn.Linear(Dim, vocabulary, hasBias: false);
            RegisterComponents();
        }
    }

    public LoraTask Task => LoraTask.CausalLanguageModeling;

    public Tensor ComputeLogits(Tensor inputIds, Tensor attentionMask) => forward(inputIds);

    public override Tensor forward(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        using var place = arange(inputIds.shape[1], device: inputIds.device);
        var x = tokens.forward(inputIds) + positions.forward(place);
        foreach (var block in blocks) x = block.forward(x);
        return head.forward(norm.forward(x)).MoveToOuterDisposeScope();
    }

    /// <summary>Pre-norm block: x + attention(norm(x)), then x + mlp(norm(x)); every projection is adapted.</summary>
    [LoRA(rank: 8, Alpha = 16, Dropout = 0.05)]
    private sealed partial class Block : nn.Module<Tensor, Tensor>
    {
        private readonly LayerNorm norm1 = nn.LayerNorm(Dim), norm2 = nn.LayerNorm(Dim);
        private readonly Linear query = nn.Linear(Dim, Dim), key = nn.Linear(Dim, Dim), value = nn.Linear(Dim, Dim), output = nn.Linear(Dim, Dim);
        private readonly Linear up = nn.Linear(Dim, 4 * Dim), down = nn.Linear(4 * Dim, Dim);

        public Block() : base(nameof(Block)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            long batch = x.shape[0], length = x.shape[1];
            Tensor SplitHeads(Tensor t) => t.view(batch, length, Heads, Dim / Heads).transpose(1, 2);
            var h = norm1.forward(x);
            var attended = nn.functional.scaled_dot_product_attention(
                SplitHeads(query.forward(h)), SplitHeads(key.forward(h)), SplitHeads(value.forward(h)), is_casual: true);
            x = x + output.forward(attended.transpose(1, 2).reshape(batch, length, Dim));
            return x + down.forward(nn.functional.gelu(up.forward(norm2.forward(x))));
        }
    }

    /// <summary>Seeds the global generator and restores the caller's RNG state afterwards.</summary>
    private sealed class FixedSeed : IDisposable
    {
        private readonly Tensor _saved = torch.get_rng_state();

        public FixedSeed(long seed) => torch.manual_seed(seed);

        public void Dispose()
        {
            torch.set_rng_state(_saved);
            _saved.Dispose();
        }
    }
}
