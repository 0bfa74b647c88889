using System.Globalization;
using Company.LoraProject.Model;
using LoraSdk;
using LoraSdk.Data;
using LoraSdk.Hosting;
using Microsoft.Extensions.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace Company.LoraProject.Prediction;

/// <summary>
/// Classifies one message with the fine-tuned adapter: pretrained MiniLM + adapter, then the adapter merged
/// into the weights (W + scaling·B·A), so inference costs exactly what the base model costs.
/// </summary>
public sealed class IntentPredictor(IOptions<LoraFineTuningOptions> options)
{
    /// <summary>The csproj's LoraFineTune item: the build copies its adapter to lora/support-intents/ next to the app.</summary>
    private const string AdapterName = "support-intents";

    public int Run(string text)
    {
        var o = options.Value;
        if (!ShippedAdapter.Exists(AdapterName))
        {
            Console.Error.WriteLine($"No adapter in {ShippedAdapter.Directory(AdapterName)}: run `dotnet build` (or `dotnet publish`) first.");
            return 1;
        }
        if (o.Trainer.Threads > 0) torch.set_num_threads(o.Trainer.Threads);
        PretrainedMiniLm.ExtractVocabulary(o.VocabularyFile!);
        var tokenizer = new WordPieceTokenizer(o.VocabularyFile!);
        var labels = Labels(o);

        using var model = SupportTicketClassifier.FromPretrained(labels.Count);
        if (!model.TryLoadAdapter(ShippedAdapter.Directory(AdapterName), out string problem))
        {
            // A damaged or mismatched adapter is the user's to rebuild, not a crash: say what and how, no stack trace.
            Console.Error.WriteLine($"error: cannot use the adapter: {problem}");
            Console.Error.WriteLine("Rebuild it with `dotnet build` (or `dotnet run -- train`).");
            return 1;
        }
        model.MergeLoRA(safe: true);
        model.eval();

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        long[] ids = [.. tokenizer.Encode(text).Take(o.MaxLength).Select(id => (long)id)];
        var inputIds = tensor(ids, device: PretrainedMiniLm.Device).unsqueeze(0);
        var probabilities = nn.functional.softmax(model.call(inputIds, ones_like(inputIds)), dim: 1)[0].cpu();
        int best = (int)probabilities.argmax().item<long>();
        double confidence = probabilities[best].item<float>();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{labels.Names[best]} (confidence {confidence:P1})"));
        return 0;
    }

    /// <summary>The label ids used in training: LoRA:Labels, or the sorted labels of the training data.</summary>
    private static LabelSet Labels(LoraFineTuningOptions o) =>
        o.Labels.Length > 0
            ? new LabelSet(o.Labels)
            : LabelSet.FromRecords(DatasetReader.Read(o.Dataset!, new DatasetReadOptions { Format = o.Format, TextField = o.TextField, LabelField = o.LabelField }));
}
