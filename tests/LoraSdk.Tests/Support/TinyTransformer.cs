using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Support;

/// <summary>
/// A block with three projections, of which query and value are adapted by hand as generated code would
/// (key stays a plain, unadapted layer).
/// </summary>
internal sealed class ProjectionBlock : nn.Module<Tensor, Tensor>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;

    public ProjectionBlock(long dim, LoraOptions options) : base(nameof(ProjectionBlock))
    {
        query = nn.Linear(dim, dim);
        key = nn.Linear(dim, dim);
        value = nn.Linear(dim, dim);
        RegisterComponents();
        LoraAdapter.Attach(this, nameof(query), query, options);
        LoraAdapter.Attach(this, nameof(value), value, options);
    }

    public override Tensor forward(Tensor input)
    {
        using var q = LoraRouter.Forward(query, input, "ProjectionBlock.query");
        using var k = key.forward(input);
        using var v = LoraRouter.Forward(value, input, "ProjectionBlock.value");
        using var mixed = q * k.sigmoid();
        return mixed + v;
    }
}

/// <summary>Blocks in a ModuleList and a plain head: adapter paths look like <c>blocks.0.query</c>.</summary>
internal sealed class TinyTransformer : nn.Module<Tensor, Tensor>
{
    public const long Dim = 6, Classes = 3;
    public const int Rank = 2, BlockCount = 2;

    private readonly ModuleList<ProjectionBlock> blocks;
    private readonly Linear head;

    public TinyTransformer(long seed = 99) : base(nameof(TinyTransformer))
    {
        torch.manual_seed(seed);
        var options = new LoraOptions(Rank, alpha: 4);
        blocks = nn.ModuleList(Enumerable.Range(0, BlockCount).Select(_ => new ProjectionBlock(Dim, options)).ToArray());
        head = nn.Linear(Dim, Classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var x = input.alias();
        foreach (var block in blocks)
        {
            var next = block.forward(x);
            x.Dispose();
            x = next;
        }
        using (x) return head.forward(x);
    }
}
