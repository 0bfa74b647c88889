using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Layers;

/// <summary>
/// The tree a module's own merge checks for tied weights (<c>KnownTree</c>) is recorded by model-wide commands
/// (freezing, loading, <c>MergeLoRA</c>) and never by a query.
/// </summary>
public class TreeRecordingTests
{
    /// <summary>A plain root whose embedding is tied to the adapted head of a child block (the head's owner).</summary>
    private sealed class Root : nn.Module<Tensor, Tensor>
    {
        public readonly Embedding tok = nn.Embedding(10, 4);
        public readonly Block block = new();

        public Root() : base(nameof(Root))
        {
            block.head.weight = tok.weight!;
            RegisterComponents();
        }

        public override Tensor forward(Tensor ids) => block.call(tok.call(ids));
    }

    private sealed class Block : nn.Module<Tensor, Tensor>
    {
        public readonly Linear head = nn.Linear(4, 10, hasBias: false);

        public Block() : base(nameof(Block))
        {
            RegisterComponents();
            Adapter = LoraAdapter.Attach(this, nameof(head), head, new LoraOptions(2, 2, 0, false));
        }

        public LoraAdapter Adapter { get; }

        public override Tensor forward(Tensor x) => head.forward(x);
    }

    [Fact]
    public void Queries_record_no_tree()
    {
        using var root = new Root();
        Assert.Same(root.block, root.block.Adapter.KnownTree);

        _ = root.LoraParameters();
        _ = root.CountParameters();
        _ = root.ActiveLoraAdapters();
        _ = root.LoraHosts();

        Assert.Same(root.block, root.block.Adapter.KnownTree);
    }

    [Fact]
    public void FreezeBase_records_the_model_so_the_blocks_own_merge_sees_the_tie()
    {
        using var root = new Root();
        using var weightBefore = root.tok.weight!.clone();

        root.FreezeBase();

        Assert.Same(root, root.block.Adapter.KnownTree);
        var error = Assert.Throws<InvalidOperationException>(() => root.block.Adapter.Merge());
        Assert.Contains("'tok'", error.Message);
        Assert.True(root.tok.weight!.eq(weightBefore).all().item<bool>(), "the shared weight changed");
    }

    [Fact]
    public void MergeLoRA_records_the_tree_it_was_called_on()
    {
        using var root = new Root();

        Assert.Throws<InvalidOperationException>(() => root.MergeLoRA());

        Assert.Same(root, root.block.Adapter.KnownTree);
    }
}
