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
/// runs anywhere in seconds with nothing to download. LoRA adapts the attention and MLP projections and the output head.
/// </summary>
public sealed class TinyByteLm : nn.Module<Tensor, Tensor>, ILoraTrainableModel
{
    public const int Dim = 64, Heads = 4, Layers = 2, Context = 64, BaseSeed = 20240611;

    private readonly Embedding tokens;
    private readonly Embedding positions;
    private readonly ModuleList<Block> blocks;
    private readonly LayerNorm norm;
    private readonly Linear head;

    public TinyByteLm(LoraOptions lora) : base(nameof(TinyByteLm))
    {
        // The base weights come from their own seed, so they are the same whatever seed training uses.
        using (var _ = new BaseWeightsSeed(BaseSeed))
        {
            tokens = nn.Embedding(new ByteTokenizer().VocabularySize, Dim);
            positions = nn.Embedding(Context, Dim);
            blocks = nn.ModuleList(Enumerable.Range(0, Layers).Select(_ => new Block()).ToArray());
            norm = nn.LayerNorm(Dim);
            head = nn.Linear(Dim, new ByteTokenizer().VocabularySize, hasBias: false);
        }
        RegisterComponents();
        foreach (var block in blocks) block.AttachLora(lora);
        LoraAdapter.Attach(this, nameof(head), head, lora);
    }

    public LoraTask Task => LoraTask.CausalLanguageModeling;

    public Tensor ComputeLogits(Tensor inputIds, Tensor attentionMask) => forward(inputIds);

    public override Tensor forward(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        long length = inputIds.shape[1];
        using var place = arange(length, device: inputIds.device);
        var x = tokens.forward(inputIds) + positions.forward(place);
        foreach (var block in blocks) x = block.forward(x);
        return LoraRouter.Forward(head, norm.forward(x)).MoveToOuterDisposeScope();
    }

    /// <summary>Pre-norm block: x + attention(norm(x)), then x + mlp(norm(x)).</summary>
    private sealed class Block : nn.Module<Tensor, Tensor>
    {
        private readonly LayerNorm norm1 = nn.LayerNorm(Dim), norm2 = nn.LayerNorm(Dim);
        private readonly Linear query = nn.Linear(Dim, Dim), key = nn.Linear(Dim, Dim), value = nn.Linear(Dim, Dim), output = nn.Linear(Dim, Dim);
        private readonly Linear up = nn.Linear(Dim, 4 * Dim), down = nn.Linear(4 * Dim, Dim);

        public Block() : base(nameof(Block)) => RegisterComponents();

        public void AttachLora(LoraOptions lora)
        {
            foreach (var (name, layer) in new[] { ("query", query), ("key", key), ("value", value), ("output", output), ("up", up), ("down", down) })
                LoraAdapter.Attach(this, name, layer, lora);
        }

        public override Tensor forward(Tensor x)
        {
            long batch = x.shape[0], length = x.shape[1];
            Tensor Heads(Tensor t) => t.view(batch, length, TinyByteLm.Heads, Dim / TinyByteLm.Heads).transpose(1, 2);
            var h = norm1.forward(x);
            var attended = nn.functional.scaled_dot_product_attention(
                Heads(LoraRouter.Forward(query, h)), Heads(LoraRouter.Forward(key, h)), Heads(LoraRouter.Forward(value, h)), is_casual: true);
            x = x + LoraRouter.Forward(output, attended.transpose(1, 2).reshape(batch, length, Dim));
            var m = nn.functional.gelu(LoraRouter.Forward(up, norm2.forward(x)));
            return x + LoraRouter.Forward(down, m);
        }
    }

    /// <summary>Seeds the global generator for the base weights and restores the caller's RNG state afterwards.</summary>
    private sealed class BaseWeightsSeed : IDisposable
    {
        private readonly Tensor _saved = torch.get_rng_state();

        public BaseWeightsSeed(long seed) => torch.manual_seed(seed);

        public void Dispose()
        {
            torch.set_rng_state(_saved);
            _saved.Dispose();
        }
    }
}
