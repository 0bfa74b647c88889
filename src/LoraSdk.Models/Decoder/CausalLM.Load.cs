using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Models;

public sealed partial class CausalLM
{
    /// <summary>The config file of a HuggingFace model folder.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>The generation settings file of a HuggingFace model folder (optional).</summary>
    public const string GenerationConfigFile = "generation_config.json";

    /// <summary>
    /// Loads a HuggingFace model folder (<c>config.json</c>, <c>model.safetensors</c> or sharded
    /// <c>model.safetensors.index.json</c>, optional <c>generation_config.json</c>) of a Llama, Mistral, Qwen2 or SmolLM
    /// checkpoint, with adapters on <see cref="CausalLMLoadOptions.TargetModules"/>. Every file, config key, tensor name
    /// and shape is checked before the model is built; weights are then read one tensor at a time, converted to
    /// <see cref="CausalLMLoadOptions.DType"/>, and each layer's adapted projections quantized as soon as the layer is
    /// filled (<see cref="CausalLMLoadOptions.Base"/>). The model is returned in eval mode, as transformers'
    /// <c>from_pretrained</c> returns it; call <c>train()</c> before fine-tuning.
    /// </summary>
    /// <exception cref="ModelFolderException">The folder is not such a model; the message names the file and key or tensor. Nothing is returned.</exception>
    public static CausalLM Load(string hfFolder, CausalLMLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hfFolder);
        options ??= new CausalLMLoadOptions();
        options.Override(); // options are checked before any file is read
        string configPath = Path.Combine(hfFolder, ConfigFile);
        if (!Directory.Exists(hfFolder)) throw new ModelFolderException(hfFolder, null, "the model folder does not exist.");
        if (!File.Exists(configPath)) throw new ModelFolderException(configPath, null, "the file is missing; a HuggingFace model folder holds config.json beside its weights.");
        var config = DecoderConfigReader.Read(configPath);
        var generation = DecoderConfigReader.ReadGeneration(Path.Combine(hfFolder, GenerationConfigFile), config);
        var (expected, optional) = ExpectedTensors(config);

        using var checkpoint = HfCheckpoint.Open(hfFolder, expected, optional);
        CausalLM? built = null;
        var layers = new List<DecoderLayer>();
        try
        {
            var factory = DecoderLayerFactory(config, options, (index, layer) =>
            {
                layers.Add(layer); // disposed with the others if a later layer fails
                Fill(layer, $"model.layers.{index}.", checkpoint);
            });
            built = new CausalLM(config, options, factory, initialise: false) { GenerationConfig = generation, SourceFolder = hfFolder };
            Fill(built, "", checkpoint, onlyOutsideLayers: true);
            built.eval(); // as transformers' from_pretrained: call train() before fine-tuning (adapter dropout)
            if (File.Exists(Path.Combine(hfFolder, TokenizerFile))) built.Tokenizer = HuggingFaceTokenizer.Load(hfFolder);
            string generationPath = Path.Combine(hfFolder, GenerationConfigFile);
            if (File.Exists(generationPath)) built.DefaultGenerationOptions = GenerationOptions.FromGenerationConfig(generationPath);
            return built;
        }
        catch
        {
            if (built is not null) built.Dispose();
            else foreach (var layer in layers) layer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The tensors a HuggingFace checkpoint of <paramref name="config"/> holds, by name (e.g.
    /// <c>model.layers.0.self_attn.q_proj.weight</c>), with their shapes: what <see cref="Load"/> requires.
    /// </summary>
    public static IReadOnlyDictionary<string, long[]> CheckpointTensorShapes(DecoderConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return ExpectedTensors(config).Expected;
    }

    /// <summary>Every tensor the config's model needs (name → shape), and those a file may add (a tied lm_head).</summary>
    internal static (Dictionary<string, long[]> Expected, Dictionary<string, long[]> Optional) ExpectedTensors(DecoderConfig c)
    {
        long h = c.HiddenSize, q = (long)c.NumHeads * c.HeadDim, kv = (long)c.NumKeyValueHeads * c.HeadDim, i = c.IntermediateSize;
        var expected = new Dictionary<string, long[]>(StringComparer.Ordinal) { ["model.embed_tokens.weight"] = [c.VocabSize, h], ["model.norm.weight"] = [h] };
        for (int n = 0; n < c.NumLayers; n++)
        {
            string p = $"model.layers.{n}.";
            void Linear(string name, long output, long input, bool bias)
            {
                expected[p + name + ".weight"] = [output, input];
                if (bias) expected[p + name + ".bias"] = [output];
            }
            Linear("self_attn.q_proj", q, h, c.QkvBias);
            Linear("self_attn.k_proj", kv, h, c.QkvBias);
            Linear("self_attn.v_proj", kv, h, c.QkvBias);
            Linear("self_attn.o_proj", h, q, c.OutputBias);
            Linear("mlp.gate_proj", i, h, c.MlpBias);
            Linear("mlp.up_proj", i, h, c.MlpBias);
            Linear("mlp.down_proj", h, i, c.MlpBias);
            expected[p + "input_layernorm.weight"] = [h];
            expected[p + "post_attention_layernorm.weight"] = [h];
        }
        var optional = new Dictionary<string, long[]>(StringComparer.Ordinal);
        (c.TieWordEmbeddings ? optional : expected)["lm_head.weight"] = [c.VocabSize, h];
        return (expected, optional);
    }

    /// <summary>Copies the checkpoint's tensors into <paramref name="module"/>'s base parameters (path prefix <paramref name="prefix"/>), one tensor at a time.</summary>
    private static void Fill(nn.Module module, string prefix, HfCheckpoint checkpoint, bool onlyOutsideLayers = false)
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in module.named_parameters())
        {
            if (name.Contains("_lora.", StringComparison.Ordinal) || (onlyOutsideLayers && name.StartsWith("model.layers.", StringComparison.Ordinal))) continue;
            // As stored: copy_ converts to the parameter's dtype without a full-size converted copy (the embedding's is 4 bytes × vocab × hidden).
            using var loaded = checkpoint.Read(prefix + name);
            parameter.copy_(loaded);
        }
    }
}
