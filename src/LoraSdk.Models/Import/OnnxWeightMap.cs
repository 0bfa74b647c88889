using LoraSdk.Models.Onnx.Proto;

namespace LoraSdk.Models;

/// <summary>
/// Finds the HuggingFace name of every weight in an exported ONNX graph. Exporters keep parameter names
/// for biases, embeddings and LayerNorms but give Linear weights anonymous numeric names and store them
/// transposed ([in, out]) as the second input of a <c>MatMul</c>. The graph still says which layer a weight
/// belongs to: the MatMul's output flows into an <c>Add</c> with the layer's named bias
/// (<c>….query.bias</c> → the weight is <c>….query.weight</c>).
/// </summary>
internal static class OnnxWeightMap
{
    /// <summary>A weight found in the graph: its initializer and whether it is stored [in, out].</summary>
    public sealed record Entry(TensorProto Initializer, bool Transposed);

    /// <summary>HuggingFace key → initializer, for every float initializer the graph lets us name.</summary>
    public static Dictionary<string, Entry> Build(GraphProto graph)
    {
        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer) initializers[t.Name] = t;
        var consumers = graph.Node
            .SelectMany(node => node.Input.Select(input => (input, node)))
            .ToLookup(x => x.input, x => x.node, StringComparer.Ordinal);

        var result = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var linearWeights = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            var found = LinearWeight(node, initializers, consumers);
            if (found is null) continue;
            var (weightName, layer, transposed) = found.Value;
            linearWeights.Add(weightName);
            result[layer + ".weight"] = new Entry(initializers[weightName], transposed);
        }
        // Everything else that kept its parameter name (biases, embeddings, LayerNorms).
        foreach (var (name, tensor) in initializers)
        {
            if (!linearWeights.Contains(name) && !result.ContainsKey(name)) result[name] = new Entry(tensor, Transposed: false);
        }
        return result;
    }

    /// <summary>For x·W (+ b) nodes: the weight initializer, the layer name taken from the bias, and the layout.</summary>
    private static (string Weight, string Layer, bool Transposed)? LinearWeight(
        NodeProto node, Dictionary<string, TensorProto> initializers, ILookup<string, NodeProto> consumers)
    {
        switch (node.OpType)
        {
            case "MatMul" when node.Input.Count == 2 && initializers.ContainsKey(node.Input[1]):
            {
                var add = consumers[node.Output[0]].FirstOrDefault(n => n.OpType == "Add");
                var bias = add?.Input.FirstOrDefault(i => i != node.Output[0] && IsNamedBias(i, initializers));
                return bias is null ? null : (node.Input[1], LayerOf(bias), true);
            }
            case "Gemm" when node.Input.Count == 3 && initializers.ContainsKey(node.Input[1]) && IsNamedBias(node.Input[2], initializers):
            {
                bool transB = node.Attribute.Any(a => a.Name == "transB" && a.I == 1);
                return (node.Input[1], LayerOf(node.Input[2]), !transB);
            }
            default:
                return null;
        }
    }

    private static bool IsNamedBias(string name, Dictionary<string, TensorProto> initializers) =>
        initializers.ContainsKey(name) && name.EndsWith(".bias", StringComparison.Ordinal);

    private static string LayerOf(string biasName) => biasName[..^".bias".Length];
}
