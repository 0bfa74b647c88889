using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Adapters;

/// <summary>Chooses the LoRA options of each target by its dotted path.</summary>
public delegate LoraOptions OptionsForPath(string path);

/// <summary>A transformer-ish block adapted by hand the way generated code will adapt it.</summary>
internal sealed class Block : nn.Module<Tensor, Tensor>
{
    private readonly Linear query;
    private readonly Linear value;
    private readonly Linear router; // never adapted

    public Block(string path, long dim, OptionsForPath options) : base(nameof(Block))
    {
        query = nn.Linear(dim, dim);
        value = nn.Linear(dim, dim);
        router = nn.Linear(dim, dim);
        RegisterComponents();
        LoraAdapter.Attach(this, nameof(query), query, options(path + ".query"));
        LoraAdapter.Attach(this, nameof(value), value, options(path + ".value"));
    }

    public override Tensor forward(Tensor x)
    {
        using var q = LoraRouter.Forward(query, x, "Block.query");
        using var v = LoraRouter.Forward(value, x, "Block.value");
        using var sum = q + v;
        using var mixed = router.forward(sum);
        return mixed.tanh();
    }
}

/// <summary>A convolution over (channels = features, height = tokens) and a plain classifier (a modules_to_save candidate).</summary>
internal sealed class ConvHead : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly Linear classifier;

    public ConvHead(string path, long dim, OptionsForPath options) : base(nameof(ConvHead))
    {
        conv = nn.Conv2d(dim, 4, (3, 1), padding: (1, 0));
        classifier = nn.Linear(4, 3);
        RegisterComponents();
        LoraAdapter.Attach(this, nameof(conv), conv, options(path + ".conv"));
    }

    public override Tensor forward(Tensor x)
    {
        using var image = x.permute(0, 2, 1).unsqueeze(-1);          // [B, D, T, 1]
        using var convolved = LoraRouter.Forward(conv, image, "Block.conv");       // [B, 4, T, 1]
        using var tokens = convolved.squeeze(-1).permute(0, 2, 1);   // [B, T, 4]
        return classifier.forward(tokens);
    }
}

/// <summary>
/// Embedding → 2 blocks → conv head: LoRA targets <c>embed</c>, <c>blocks.{0,1}.{query,value}</c> and
/// <c>head.conv</c>, i.e. Linear, Conv2d and Embedding in a nested tree.
/// </summary>
internal sealed class TinyNet : nn.Module<Tensor, Tensor>
{
    public const long Vocabulary = 11, Dim = 6;
    public static readonly string[] TargetPaths = ["embed", "blocks.0.query", "blocks.0.value", "blocks.1.query", "blocks.1.value", "head.conv"];

    private readonly Embedding embed;
    private readonly ModuleList<Block> blocks;
    private readonly ConvHead head;

    public TinyNet(OptionsForPath? options = null) : base(nameof(TinyNet))
    {
        options ??= _ => new LoraOptions(4, 8);
        embed = nn.Embedding(Vocabulary, Dim);
        blocks = nn.ModuleList(new Block("blocks.0", Dim, options), new Block("blocks.1", Dim, options));
        head = new ConvHead("head", Dim, options);
        RegisterComponents();
        LoraAdapter.Attach(this, nameof(embed), embed, options("embed"));
    }

    public override Tensor forward(Tensor ids)
    {
        var x = LoraRouter.Forward(embed, ids, "Block.embed");
        foreach (var block in blocks)
        {
            var next = block.forward(x);
            x.Dispose();
            x = next;
        }
        using (x) return head.forward(x);
    }

    /// <summary>A fixed batch of token ids.</summary>
    public static Tensor SampleIds() => tensor(new long[] { 1, 4, 2, 9, 10, 0, 3, 7 }, [2, 4]);
}

/// <summary>A module whose complex buffer safetensors cannot hold: saving it must fail mid-save.</summary>
internal sealed class ComplexHolder : nn.Module<Tensor, Tensor>
{
    public ComplexHolder() : base(nameof(ComplexHolder)) =>
        register_buffer("phases", zeros(2, dtype: ScalarType.ComplexFloat32));

    public override Tensor forward(Tensor input) => input.alias();
}

/// <summary>TinyNet plus a ComplexHolder child, for failure-injection tests.</summary>
internal sealed class NetWithComplexBuffer : nn.Module<Tensor, Tensor>
{
    private readonly TinyNet net = new();
    private readonly ComplexHolder extra = new();

    public NetWithComplexBuffer() : base(nameof(NetWithComplexBuffer)) => RegisterComponents();

    public override Tensor forward(Tensor input) => net.forward(input);
}
