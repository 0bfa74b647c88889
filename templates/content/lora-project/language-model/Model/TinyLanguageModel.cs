using LoraSdk;
using LoraSdk.Data;
using LoraSdk.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Company.LoraProject.Model;

/// <summary>
/// A small GPT-style language model over UTF-8 bytes: byte and position embeddings, <see cref="TransformerBlock"/>s,
/// a final LayerNorm and a head that predicts the next byte.
/// Its base weights are NOT pretrained: they are a fixed-seed random initialisation, the same on every run, standing
/// in for a pretrained checkpoint so the project trains in seconds with nothing to download. To adapt a real model,
/// load its weights in <see cref="Create"/> (LoraSdk.Models has importers for ONNX, safetensors and PyTorch files).
/// </summary>
public sealed class TinyLanguageModel : nn.Module<Tensor, Tensor>, ILoraTrainableModel
{
    public const int Dimension = 64, Heads = 4, Layers = 2, Context = 128;
    private const long BaseWeightsSeed = 20240611;

    private readonly Embedding tokens;
    private readonly Embedding positions;
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly LayerNorm norm;
    private readonly Linear head;

    private TinyLanguageModel(int vocabulary) : base(nameof(TinyLanguageModel))
    {
        tokens = nn.Embedding(vocabulary, Dimension);
        positions = nn.Embedding(Context, Dimension);
        blocks = nn.ModuleList(Enumerable.Range(0, Layers).Select(_ => new TransformerBlock(Dimension, Heads)).ToArray());
        norm = nn.LayerNorm(Dimension);
        head = nn.Linear(Dimension, vocabulary, hasBias: false);
        RegisterComponents();
        // Base weights stay as they are: only the adapters train, and the modules appsettings.json lists in
        // ModulesToSave (head, tokens), which the trainer unfreezes. Frozen here, the position embedding and the final
        // norm are not "trainable but in no adapter", so training starts without a warning about them.
        this.FreezeBase();
    }

    /// <summary>The model with its base weights, on the GPU when TorchSharp sees one (LoraSdkBackend=cuda).</summary>
    public static TinyLanguageModel Create()
    {
        // The base weights come from their own seed (the caller's random state is restored afterwards), so they do
        // not depend on the training seed and `predict` rebuilds exactly the base the adapter was trained on.
        using var saved = get_rng_state();
        manual_seed(BaseWeightsSeed);
        var model = new TinyLanguageModel(new ByteTokenizer().VocabularySize);
        set_rng_state(saved);
        return model.to(Device);
    }

    public static Device Device => cuda.is_available() ? CUDA : CPU;

    public LoraTask Task => LoraTask.CausalLanguageModeling;

    public Tensor ComputeLogits(Tensor inputIds, Tensor attentionMask) => forward(inputIds);

    /// <returns>Next-byte logits, (batch × tokens × vocabulary).</returns>
    public override Tensor forward(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        var place = arange(inputIds.shape[1], device: inputIds.device);
        var x = tokens.call(inputIds) + positions.call(place);
        foreach (var block in blocks) x = block.call(x);
        return head.forward(norm.call(x)).MoveToOuterDisposeScope();
    }
}
