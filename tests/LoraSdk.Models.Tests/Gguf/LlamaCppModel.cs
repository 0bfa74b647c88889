using System.Collections.Concurrent;
using LLama;
using LLama.Common;
using LLama.Native;
using LlamaLoraAdapter = LLama.Native.LoraAdapter;

namespace LoraSdk.Models.Tests.Gguf;

/// <summary>
/// A GGUF model loaded by llama.cpp (through LLamaSharp), fed token ids directly: the independent reference for the
/// GGUF export and, later, for CausalLM. The context is set up for exactness, not speed: an F32 K/V cache and flash
/// attention off (llama.cpp's CPU defaults, an F16 cache and flash attention, are 2e-4 to 1e-3 off a float64
/// reference), one thread (no worker threads left behind), logits for every position.
/// </summary>
internal sealed class LlamaCppModel : IDisposable
{
    private const uint ContextSize = 128;
    private static readonly ConcurrentQueue<string> Log = new();
    private static readonly object ConfigureLock = new();
    private static bool _configured;

    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly LlamaLoraAdapter? _adapter;

    private LlamaCppModel(LLamaWeights weights, LLamaContext context, LlamaLoraAdapter? adapter)
    {
        _weights = weights;
        _context = context;
        _adapter = adapter;
    }

    /// <summary>Rows of the output (the vocabulary size llama.cpp read).</summary>
    public int VocabSize => _weights.Vocab.Count;

    /// <summary>Loads <paramref name="modelPath"/>, with the GGUF LoRA <paramref name="adapterPath"/> applied at <paramref name="adapterScale"/> when given.</summary>
    public static LlamaCppModel Load(string modelPath, string? adapterPath = null, float adapterScale = 1f)
    {
        ConfigureNativeLogging();
        var parameters = new ModelParams(modelPath)
        {
            ContextSize = ContextSize,
            BatchSize = ContextSize,
            UBatchSize = ContextSize,
            Threads = 1,
            BatchThreads = 1,
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
            FlashAttention = false,
            GpuLayerCount = 0,
        };
        LLamaWeights? weights = null;
        LLamaContext? context = null;
        try
        {
            weights = LLamaWeights.LoadFromFile(parameters);
            context = weights.CreateContext(parameters);
            LlamaLoraAdapter? adapter = null;
            if (adapterPath is not null)
            {
                adapter = weights.NativeHandle.LoadLoraFromFile(adapterPath);
                (LlamaLoraAdapter, float)[] adapters = [(adapter, adapterScale)];
                context.NativeHandle.SetLoraAdapters(adapters);
            }
            return new LlamaCppModel(weights, context, adapter);
        }
        catch (Exception e)
        {
            context?.Dispose();
            weights?.Dispose();
            throw new InvalidOperationException($"llama.cpp could not load '{modelPath}'{(adapterPath is null ? "" : $" with adapter '{adapterPath}'")}: {e.Message}\nllama.cpp log (last lines):\n{RecentLog()}", e);
        }
    }

    /// <summary>Float32 logits for every position of <paramref name="tokens"/> (a fresh sequence at position 0): [position][vocab].</summary>
    public float[][] Logits(IReadOnlyList<int> tokens)
    {
        if (tokens.Count == 0 || tokens.Count > ContextSize)
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens.Count, $"Between 1 and {ContextSize} tokens.");
        _context.NativeHandle.MemoryClear();
        var batch = new LLamaBatch();
        for (int i = 0; i < tokens.Count; i++)
            batch.Add((LLamaToken)tokens[i], i, LLamaSeqId.Zero, logits: true);
        Decode(batch);
        var logits = new float[tokens.Count][];
        for (int i = 0; i < tokens.Count; i++)
            logits[i] = _context.NativeHandle.GetLogitsIth(i).ToArray();
        return logits;
    }

    /// <summary>Greedy continuation: the prompt, then <paramref name="newTokens"/> argmax tokens fed back one at a time through the K/V cache.</summary>
    public int[] Greedy(IReadOnlyList<int> prompt, int newTokens)
    {
        float[][] promptLogits = Logits(prompt);
        var generated = new List<int> { ArgMax(promptLogits[^1]) };
        var batch = new LLamaBatch();
        while (generated.Count < newTokens)
        {
            batch.Clear();
            batch.Add((LLamaToken)generated[^1], prompt.Count + generated.Count - 1, LLamaSeqId.Zero, logits: true);
            Decode(batch);
            generated.Add(ArgMax(_context.NativeHandle.GetLogitsIth(0)));
        }
        return generated.ToArray();
    }

    /// <summary>llama.cpp's tokenization of <paramref name="text"/> (special tokens parsed; with <paramref name="addSpecial"/>, the BOS the vocabulary says to add).</summary>
    public int[] Tokenize(string text, bool addSpecial = false) =>
        _weights.Tokenize(text, add_bos: addSpecial, special: true, System.Text.Encoding.UTF8).Select(t => (int)t).ToArray();

    /// <summary>
    /// <paramref name="content"/> as one <paramref name="role"/> message with the assistant's generation prompt, rendered by
    /// llama.cpp (<c>llama_chat_apply_template</c>) from the model's own <c>tokenizer.chat_template</c>: what a llama.cpp
    /// chat would feed the model.
    /// </summary>
    public string RenderChat(string role, string content)
    {
        var template = new LLamaTemplate(_weights, strict: true) { AddAssistant = true };
        template.Add(role, content);
        return System.Text.Encoding.UTF8.GetString(template.Apply());
    }

    /// <summary>llama.cpp's text of <paramref name="tokens"/> (its own detokenizer, UTF-8).</summary>
    public string Detokenize(IEnumerable<int> tokens)
    {
        var decoder = new StreamingTokenDecoder(System.Text.Encoding.UTF8, _weights);
        foreach (int token in tokens) decoder.Add(token);
        return decoder.Read();
    }

    /// <summary>Frees the context, the adapter and the model (native memory).</summary>
    public void Dispose()
    {
        _context.Dispose();
        _adapter?.Unload();
        _weights.Dispose();
    }

    internal static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    private void Decode(LLamaBatch batch)
    {
        DecodeResult result = _context.NativeHandle.Decode(batch);
        if (result != DecodeResult.Ok)
            throw new InvalidOperationException($"llama_decode returned {result}.\nllama.cpp log (last lines):\n{RecentLog()}");
    }

    /// <summary>Keeps llama.cpp's log (it would otherwise fill the test output) for error messages.</summary>
    private static void ConfigureNativeLogging()
    {
        lock (ConfigureLock)
        {
            if (_configured) return;
            // Works before and after the native library loads (another caller may have loaded it first).
            NativeLogConfig.llama_log_set((level, message) =>
            {
                Log.Enqueue($"[{level}] {message}");
                while (Log.Count > 200) Log.TryDequeue(out _);
            });
            _configured = true;
        }
    }

    private static string RecentLog() => string.Concat(Log.TakeLast(40));
}
