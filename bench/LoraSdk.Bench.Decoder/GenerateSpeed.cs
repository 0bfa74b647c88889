using System.Diagnostics;
using System.Text.Json.Nodes;
using LLama;
using LLama.Common;
using LLama.Native;
using LoraSdk.Models;
using LoraSdk.Models.Gguf;
using static TorchSharp.torch;

namespace LoraSdk.Bench.Decoder;

/// <summary>
/// Issue 23's decode-speed goal: batch-1 greedy generation with a KV cache, tokens per second, for LoraSdk (adapters
/// disabled = base, the adapter unmerged, the adapter merged) and llama.cpp (LLamaSharp) on the F32 GGUF that
/// <see cref="CausalLM.ExportGguf"/> writes of the same model. Rounds are interleaved so drift hits every variant alike;
/// the median of each is reported with the ratios the goals name (LoraSdk ≥ 0.7× llama.cpp, merged within 3 % of base).
/// </summary>
public static class GenerateSpeed
{
    public sealed record Result(int PromptTokens, int NewTokens, int Rounds, int Threads,
        double BaseTokensPerSecond, double UnmergedTokensPerSecond, double MergedTokensPerSecond, double LlamaCppTokensPerSecond,
        double BaseOverLlamaCpp, double MergedOverBase, double UnmergedOverBase);

    public static Result Run(BenchShape shape, string workDir, int threads, int warmup, int rounds, int newTokens)
    {
        string folder = Path.Combine(workDir, "hf");
        Nf4Load.WriteFolder(shape, folder, shardBytes: long.MaxValue);
        WriteByteTokenizer(folder);
        using var model = CausalLM.Load(folder);
        model.eval();
        string gguf = Path.Combine(workDir, "model-f32.gguf");
        using (model.DisableLoRA()) model.ExportGguf(gguf, GgufTensorType.F32); // the base weights llama.cpp runs
        RandomizeAdapters(model);

        int[] prompt = [.. Enumerable.Range(0, 8).Select(i => 3 + (i * 37 % 256))];
        var options = new GenerationOptions { MaxNewTokens = newTokens, EosTokenIds = [] };
        using var llama = new LlamaCppGreedy(gguf, threads, contextSize: (uint)(prompt.Length + newTokens + 8));

        double LoraSdk(Action? before, Action? after)
        {
            before?.Invoke();
            var clock = Stopwatch.StartNew();
            var ids = model.Generate([prompt], options)[0].TokenIds;
            double seconds = clock.Elapsed.TotalSeconds;
            after?.Invoke();
            if (ids.Count != newTokens) throw new InvalidOperationException($"LoraSdk generated {ids.Count} tokens, expected {newTokens}.");
            return newTokens / seconds;
        }
        IDisposable? disabled = null;
        var variants = new (string Name, Func<double> Measure)[]
        {
            ("base", () => LoraSdk(() => disabled = model.DisableLoRA(), () => disabled!.Dispose())),
            ("unmerged", () => LoraSdk(null, null)),
            ("merged", () => LoraSdk(() => model.MergeLoRA(), () => model.UnmergeLoRA())),
            ("llama.cpp", () => newTokens / llama.Seconds(prompt, newTokens)),
        };
        var samples = variants.ToDictionary(v => v.Name, _ => new List<double>());
        for (int round = 0; round < warmup + rounds; round++)
            foreach (var (name, measure) in variants)
            {
                double tokensPerSecond = measure();
                if (round >= warmup) samples[name].Add(tokensPerSecond);
            }
        double Median(string name) => samples[name].Order().ElementAt(samples[name].Count / 2);
        double b = Median("base"), u = Median("unmerged"), m = Median("merged"), l = Median("llama.cpp");
        return new Result(prompt.Length, newTokens, rounds, threads, b, u, m, l, b / l, m / b, u / b);
    }

    /// <summary>Non-zero B for every adapter, so unmerged and merged do real work (values do not matter for speed).</summary>
    private static void RandomizeAdapters(CausalLM model)
    {
        using var _ = no_grad();
        foreach (var (_, adapter) in model.ActiveLoraAdapters())
            foreach (var (_, parameter) in adapter.ParameterNames)
                parameter.copy_(randn(parameter.shape) * 0.02);
    }

    /// <summary>
    /// A byte-level tokenizer.json (specials 0-2, byte b at id 3 + b) so the folder loads with a tokenizer and the
    /// GGUF gets a vocabulary; the embedding's other rows become llama.cpp placeholder tokens.
    /// </summary>
    private static void WriteByteTokenizer(string folder)
    {
        var vocab = new JsonObject { ["<pad>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            vocab[((char)(printable ? b : next++)).ToString()] = 3 + b;
        }
        JsonObject Added(int id, string content) => new() { ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true };
        JsonObject ByteLevel() => new() { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };
        var tokenizer = new JsonObject
        {
            ["version"] = "1.0", ["truncation"] = null, ["padding"] = null,
            ["added_tokens"] = new JsonArray(Added(0, "<pad>"), Added(1, "<s>"), Added(2, "</s>")),
            ["normalizer"] = null, ["pre_tokenizer"] = ByteLevel(), ["post_processor"] = null, ["decoder"] = ByteLevel(),
            ["model"] = new JsonObject { ["type"] = "BPE", ["byte_fallback"] = false, ["vocab"] = vocab, ["merges"] = new JsonArray() },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), tokenizer.ToJsonString());
    }

    /// <summary>llama.cpp greedy decoding, one token per decode call through its KV cache (F32, as LoraSdk's), with <c>threads</c> threads.</summary>
    private sealed class LlamaCppGreedy : IDisposable
    {
        private readonly LLamaWeights _weights;
        private readonly LLamaContext _context;

        public LlamaCppGreedy(string gguf, int threads, uint contextSize)
        {
            NativeLogConfig.llama_log_set((_, _) => { }); // quiet: the result line is what counts
            var parameters = new ModelParams(gguf)
            {
                ContextSize = contextSize, BatchSize = contextSize, UBatchSize = contextSize, Threads = threads, BatchThreads = threads,
                TypeK = GGMLType.GGML_TYPE_F32, TypeV = GGMLType.GGML_TYPE_F32, GpuLayerCount = 0,
            };
            _weights = LLamaWeights.LoadFromFile(parameters);
            _context = _weights.CreateContext(parameters);
        }

        /// <summary>Seconds to decode the prompt and <paramref name="newTokens"/> greedy tokens (what LoraSdk's Generate does).</summary>
        public double Seconds(int[] prompt, int newTokens)
        {
            _context.NativeHandle.MemoryClear();
            var batch = new LLamaBatch();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < prompt.Length; i++) batch.Add((LLamaToken)prompt[i], i, LLamaSeqId.Zero, logits: i == prompt.Length - 1);
            int position = prompt.Length, generated = 0, last = prompt.Length - 1;
            while (true)
            {
                if (_context.NativeHandle.Decode(batch) != DecodeResult.Ok) throw new InvalidOperationException("llama.cpp decode failed.");
                int next = ArgMax(_context.NativeHandle.GetLogitsIth(last));
                if (++generated == newTokens) break;
                batch.Clear();
                batch.Add((LLamaToken)next, position++, LLamaSeqId.Zero, logits: true);
                last = 0;
            }
            return clock.Elapsed.TotalSeconds;
        }

        private static int ArgMax(ReadOnlySpan<float> values)
        {
            int best = 0;
            for (int i = 1; i < values.Length; i++)
                if (values[i] > values[best]) best = i;
            return best;
        }

        public void Dispose()
        {
            _context.Dispose();
            _weights.Dispose();
        }
    }
}
