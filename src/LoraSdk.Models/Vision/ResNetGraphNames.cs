using LoraSdk.Models.Onnx.Proto;

namespace LoraSdk.Models;

/// <summary>
/// Names the anonymous initializers of a ResNet-18 ONNX graph (the CNTK export in
/// Microsoft.ML.DnnImageFeaturizer.ResNet18 calls them <c>Parameter91</c>, <c>Constant98</c>, …) with
/// torchvision module paths, by walking the graph from its input: stem Conv → BatchNormalization → Relu →
/// MaxPool, then per block the 3×3 Conv (conv1) → BN → Relu → Conv (conv2) → BN → Add → Relu, where the Add's
/// other input is the block input or a 1×1 Conv → BN on it (downsample.0 / downsample.1). Anything that is not
/// this shape is an error naming the node, rather than a guess.
/// </summary>
internal sealed class ResNetGraphNames
{
    private static readonly string[] BatchNormInputs = ["weight", "bias", "running_mean", "running_var"];

    private readonly Dictionary<string, TensorProto> _initializers;
    private readonly ILookup<string, NodeProto> _consumers;
    private readonly string _source;
    private readonly Dictionary<string, TensorProto> _named = new(StringComparer.Ordinal);

    private ResNetGraphNames(GraphProto graph, string source)
    {
        _initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _consumers = graph.Node.SelectMany(n => n.Input.Select(i => (i, n))).ToLookup(x => x.i, x => x.n, StringComparer.Ordinal);
        _source = source;
    }

    /// <summary>torchvision module path (<c>layer2.0.downsample.1.running_var</c>) → initializer.</summary>
    /// <param name="blocksPerStage">The model's block counts; the graph must have exactly these.</param>
    /// <param name="graph">The ONNX graph.</param>
    /// <param name="source">The file named in errors.</param>
    public static Dictionary<string, TensorProto> Build(GraphProto graph, string source, IReadOnlyList<int> blocksPerStage)
    {
        var walk = new ResNetGraphNames(graph, source);
        var input = graph.Input.Select(i => i.Name).Where(n => !walk._initializers.ContainsKey(n)).ToList();
        if (input.Count != 1)
            throw new WeightImportException(source, $"a ResNet-18 graph has one image input; this one has {input.Count} ({string.Join(", ", input)}).");
        walk.Walk(input[0], blocksPerStage);
        return walk._named;
    }

    private void Walk(string input, IReadOnlyList<int> blocksPerStage)
    {
        var stem = Convolution(Next(input, "Conv"), "conv1", stride: 2);
        var x = Next(Next(BatchNorm(Next(stem, "BatchNormalization"), "bn1"), "Relu").Output[0], "MaxPool").Output[0];
        long[] strides = [1, 2, 2, 2];
        for (int stage = 1; stage <= 4; stage++)
        {
            for (int block = 0; block < blocksPerStage[stage - 1]; block++)
                x = Block(x, $"layer{stage}.{block}", block == 0 ? strides[stage - 1] : 1);
        }
        // The last block must feed the pooling: another block here means the model has too few blocks.
        var next = _consumers[x].ToList();
        if (next.Count != 1 || next[0].OpType is not ("AveragePool" or "GlobalAveragePool"))
            throw Unexpected($"after layer4.{blocksPerStage[3] - 1} the graph continues with {string.Join(", ", next.Select(n => $"{n.OpType} '{n.Name}'"))} instead of the average pooling (the model has [{string.Join(", ", blocksPerStage)}] blocks per stage; does the graph have more?)");
    }

    /// <returns>The block's output (after its final Relu).</returns>
    private string Block(string input, string path, long stride)
    {
        var convs = _consumers[input].Where(n => n.OpType == "Conv").ToList();
        var main = convs.Where(c => KernelSide(c) == 3).ToList();
        var shortcut = convs.Where(c => KernelSide(c) == 1).ToList();
        if (main.Count != 1 || shortcut.Count > 1 || convs.Count != main.Count + shortcut.Count)
            throw Unexpected($"{path}: expected one 3×3 Conv (and at most one 1×1 downsample Conv) reading '{input}', found {convs.Count} Conv node(s)");

        var x = Convolution(main[0], $"{path}.conv1", stride);
        x = Next(BatchNorm(Next(x, "BatchNormalization"), $"{path}.bn1"), "Relu").Output[0];
        x = Convolution(Next(x, "Conv"), $"{path}.conv2", stride: 1);
        x = BatchNorm(Next(x, "BatchNormalization"), $"{path}.bn2");
        string identity = input;
        if (shortcut.Count == 1)
        {
            var projected = Convolution(shortcut[0], $"{path}.downsample.0", stride);
            identity = BatchNorm(Next(projected, "BatchNormalization"), $"{path}.downsample.1");
        }
        var add = Next(x, "Add");
        if (!add.Input.Contains(identity))
            throw Unexpected($"{path}: the residual Add '{add.Name}' does not add '{identity}'");
        return Next(add.Output[0], "Relu").Output[0];
    }

    /// <returns>The convolution's output.</returns>
    private string Convolution(NodeProto conv, string path, long stride)
    {
        if (conv.Input.Count < 2 || !_initializers.TryGetValue(conv.Input[1], out var weight))
            throw Unexpected($"{path}: Conv '{conv.Name}' has no weight initializer");
        if (conv.Input.Count > 2 && conv.Input[2].Length > 0)
            throw Unexpected($"{path}: Conv '{conv.Name}' has a bias, which torchvision's ResNet-18 convolutions do not");
        var strides = conv.Attribute.FirstOrDefault(a => a.Name == "strides")?.Ints.ToArray() ?? [1, 1];
        if (strides.Any(s => s != stride))
            throw Unexpected($"{path}: Conv '{conv.Name}' has strides [{string.Join(", ", strides)}], ResNet-18 has {stride} there");
        _named[path + ".weight"] = weight;
        return conv.Output[0];
    }

    /// <returns>The batch norm's output.</returns>
    private string BatchNorm(NodeProto norm, string path)
    {
        var epsilon = norm.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
        if (Math.Abs(epsilon - ResNet18.BatchNormEpsilon) > 1e-9)
            throw Unexpected($"{path}: BatchNormalization '{norm.Name}' has epsilon {epsilon}, the model uses {ResNet18.BatchNormEpsilon}");
        for (int i = 0; i < BatchNormInputs.Length; i++)
        {
            if (norm.Input.Count <= i + 1 || !_initializers.TryGetValue(norm.Input[i + 1], out var tensor))
                throw Unexpected($"{path}: BatchNormalization '{norm.Name}' input {i + 1} is not an initializer");
            _named[$"{path}.{BatchNormInputs[i]}"] = tensor;
        }
        return norm.Output[0];
    }

    /// <summary>The single node of <paramref name="opType"/> that reads <paramref name="value"/>.</summary>
    private NodeProto Next(string value, string opType)
    {
        var found = _consumers[value].Where(n => n.OpType == opType).ToList();
        if (found.Count != 1)
            throw Unexpected($"expected one {opType} node reading '{value}', found {found.Count}");
        return found[0];
    }

    private static int KernelSide(NodeProto conv) =>
        (int)(conv.Attribute.FirstOrDefault(a => a.Name == "kernel_shape")?.Ints.FirstOrDefault() ?? 0);

    private WeightImportException Unexpected(string detail) =>
        new(_source, $"not the ResNet-18 graph this importer reads: {detail}.");
}
