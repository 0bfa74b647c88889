using LoraSdk.Models;
using static TorchSharp.torch;

namespace LoraSdk.Bench.Decoder;

/// <summary>
/// The NF4 load check of issue 23: a random model of the shape is written as a sharded BF16 HuggingFace folder (in a
/// child process of its own: part <c>write-folder</c>), then loaded here with <c>Base = Nf4</c>; the peak RSS of the
/// loading process, less its RSS before loading, is compared with the goal: quantized bytes + the float tensors
/// (embeddings, norms) + the largest shard, + 25 %.
/// </summary>
public static class Nf4Load
{
    /// <param name="BaselineRssBytes">RSS before loading (the .NET runtime and libtorch, loaded by a tiny op): the goal is for what loading adds.</param>
    public sealed record Result(long PeakRssBytes, long BaselineRssBytes, long QuantizedBytes, long FloatBytes, long LargestShardBytes, long GoalBytes, bool Met, double Seconds);

    /// <summary>Writes the folder: config.json and shards of about <paramref name="shardBytes"/> bytes each, BF16.</summary>
    public static void WriteFolder(BenchShape shape, string folder, long shardBytes)
    {
        Directory.CreateDirectory(folder);
        var c = shape.Config;
        File.WriteAllText(Path.Combine(folder, "config.json"), $$"""
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": {{c.HiddenSize}}, "intermediate_size": {{c.IntermediateSize}},
             "num_hidden_layers": {{c.NumLayers}}, "num_attention_heads": {{c.NumHeads}}, "num_key_value_heads": {{c.NumKeyValueHeads}},
             "vocab_size": {{c.VocabSize}}, "rms_norm_eps": 1e-05, "rope_theta": 100000.0, "tie_word_embeddings": true,
             "max_position_embeddings": 8192, "hidden_act": "silu", "torch_dtype": "bfloat16", "bos_token_id": 1, "eos_token_id": 2}
            """);
        var expected = CausalLM.CheckpointTensorShapes(c);
        var map = new Dictionary<string, string>();
        var shard = new List<(string, Tensor)>();
        long bytes = 0;
        int index = 0;
        void Flush()
        {
            if (shard.Count == 0) return;
            string name = $"model-{++index:00000}.safetensors";
            TorchSharp.PyBridge.Safetensors.SaveStateDict(Path.Combine(folder, name), shard.ToDictionary(t => t.Item1, t => t.Item2));
            foreach (var (key, tensor) in shard)
            {
                map[key] = name;
                tensor.Dispose();
            }
            shard.Clear();
            bytes = 0;
        }
        manual_seed(0);
        foreach (var (name, dims) in expected)
        {
            var tensor = (randn(dims) * 0.02).to_type(ScalarType.BFloat16);
            shard.Add((name, tensor));
            bytes += tensor.numel() * 2;
            if (bytes >= shardBytes) Flush();
        }
        Flush();
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"),
            System.Text.Json.JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = map }));
    }

    public static Result Run(string folder)
    {
        using (var warm = ones(4)) warm.sum().Dispose(); // libtorch loaded before the baseline is read
        long baseline = CurrentRss();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var model = CausalLM.Load(folder, new CausalLMLoadOptions { Base = LoraBase.Nf4 });
        double seconds = clock.Elapsed.TotalSeconds;
        long peak = PeakRss.Bytes();
        long quantized = model.named_buffers().Sum(b => b.buffer.numel() * b.buffer.ElementSize);
        long floats = model.named_parameters().Sum(p => p.parameter.numel() * p.parameter.ElementSize);
        long largest = Directory.GetFiles(folder, "*.safetensors").Max(f => new FileInfo(f).Length);
        long goal = (long)((quantized + floats + largest) * 1.25);
        return new Result(peak, baseline, quantized, floats, largest, goal, peak - baseline <= goal, seconds);
    }

    private static long CurrentRss()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]) * 1024;
    }
}
