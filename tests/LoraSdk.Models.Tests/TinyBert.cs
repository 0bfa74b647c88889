using Google.Protobuf;
using LoraSdk.Models;
using LoraSdk.Models.Onnx.Proto;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests;

/// <summary>A small BERT and writers of its weights in the checkpoint formats the importers read.</summary>
internal static class TinyBert
{
    public static readonly BertConfig Config = new()
    {
        VocabSize = 50, HiddenSize = 8, NumLayers = 2, NumHeads = 2, IntermediateSize = 16,
        MaxPositions = 16, TypeVocabSize = 2, HiddenDropout = 0, AttentionDropout = 0,
    };

    public static BertModel Create(int seed)
    {
        manual_seed(seed);
        var model = new BertModel(Config);
        // LayerNorm starts at weight 1 / bias 0; randomise so a weight that is not copied shows. The LoRA
        // adapters keep their initialisation (B = 0), so the model computes its base function.
        using var _ = no_grad();
        foreach (var (_, p) in model.BaseParameters()) p.copy_(randn_like(p) * 0.5);
        model.eval();
        return model;
    }

    /// <summary>The model's weights under HuggingFace BertModel keys (its own paths), as a Python checkpoint would have them.</summary>
    public static Dictionary<string, Tensor> HuggingFaceStateDict(BertModel model) =>
        model.BaseParameters().ToDictionary(p => p.Key, p => p.Value.detach().clone(), StringComparer.Ordinal);

    /// <summary>
    /// An ONNX graph shaped like a PyTorch export: Linear weights transposed under numeric names, each used
    /// by MatMul → Add(named bias); everything else under its own name. Only the weight-carrying nodes exist.
    /// </summary>
    public static ModelProto OnnxModel(BertModel model)
    {
        var graph = new GraphProto { Name = "tiny" };
        int anonymous = 900;
        var state = HuggingFaceStateDict(model);
        foreach (var (key, tensor) in state)
        {
            bool linearWeight = tensor.dim() == 2 && !key.StartsWith("embeddings.", StringComparison.Ordinal);
            if (!linearWeight)
            {
                graph.Initializer.Add(Initializer(key, tensor));
                continue;
            }
            string weightName = (anonymous++).ToString();
            string layer = key[..^".weight".Length];
            graph.Initializer.Add(Initializer(weightName, tensor.t().contiguous()));
            var matmul = new NodeProto { OpType = "MatMul", Name = $"MatMul_{anonymous}", Input = { "hidden", weightName }, Output = { $"{anonymous}_mm" } };
            var add = new NodeProto { OpType = "Add", Name = $"Add_{anonymous}", Input = { layer + ".bias", $"{anonymous}_mm" }, Output = { $"{anonymous}_out" } };
            graph.Node.Add(matmul);
            graph.Node.Add(add);
        }
        graph.Initializer.Add(new TensorProto { Name = "925", DataType = 7, Dims = { 1 }, RawData = ByteString.CopyFrom(new byte[8]) });
        return new ModelProto { IrVersion = 7, ProducerName = "LoraSdk.Models.Tests", Graph = graph };
    }

    public static TensorProto Initializer(string name, Tensor tensor)
    {
        var proto = new TensorProto { Name = name, DataType = 1 };
        proto.Dims.AddRange(tensor.shape);
        proto.RawData = ByteString.CopyFrom(tensor.to_type(ScalarType.Float32).contiguous().bytes);
        return proto;
    }

    /// <summary>
    /// A second model with <paramref name="model"/>'s base weights copied in, not drawn again from a seed: tests run in
    /// parallel and share torch's global generator, so two seeded draws need not match.
    /// </summary>
    public static BertModel CopyOf(BertModel model)
    {
        var copy = new BertModel(Config);
        using var _ = no_grad();
        var source = model.BaseParameters();
        foreach (var (name, p) in copy.BaseParameters()) p.copy_(source[name]);
        copy.eval();
        return copy;
    }

    public static void AssertSameWeights(BertModel expected, BertModel actual)
    {
        var a = expected.BaseParameters();
        var b = actual.BaseParameters();
        Assert.Equal(a.Keys.OrderBy(k => k), b.Keys.OrderBy(k => k));
        foreach (var (name, tensor) in a) Assert.True(tensor.eq(b[name]).all().item<bool>(), $"{name} differs");
    }
}
