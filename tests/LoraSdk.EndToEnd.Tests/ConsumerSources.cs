namespace LoraSdk.EndToEnd.Tests;

/// <summary>
/// The consumer's sources: a tiny intent classifier whose layers get LoRA adapters from the [LoRA]
/// generator, trained by LoraSdk hosting when the program is started with the `train` command; `predict` prints
/// the logits of the model with the adapter the build put next to the app.
/// </summary>
internal static class ConsumerSources
{
    public const string Program = """
        using System.Globalization;
        using Consumer;
        using LoraSdk;
        using LoraSdk.Data;
        using LoraSdk.Hosting;
        using LoraSdk.Training;
        using Microsoft.Extensions.Hosting;
        using TorchSharp;

        if (args is ["predict", var text])
        {
            // The adapter the build copied next to the app; the base weights come from the training seed.
            torch.manual_seed(7);
            using var model = new IntentClassifier(new ByteTokenizer().VocabularySize, 2);
            model.LoadShippedAdapter("tiny");
            model.eval();
            long[] ids = [.. new ByteTokenizer().Encode(text).Select(id => (long)id)];
            using var logits = model.call(torch.tensor(ids).unsqueeze(0));
            Console.WriteLine("logits " + string.Join(" ", logits.data<float>().ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
            return 0;
        }
        if (args is not ["train", ..])
        {
            Console.WriteLine("usage: Consumer train [--LoRA:Key=Value ...] | predict <text>");
            return 0;
        }
        var builder = Host.CreateApplicationBuilder(args[1..]);
        builder.Services.AddLoraFineTuning(
            context => new IntentClassifier(context.Tokenizer.VocabularySize, context.Labels!.Count),
            LoraTask.SequenceClassification);
        return await builder.Build().RunLoraFineTuningAsync();
        """;

    public const string Model = """
        using LoraSdk;
        using LoraSdk.Training;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        namespace Consumer;

        /// <summary>Mean-pooled byte embeddings, one hidden layer, a label head; LoRA on the embedding and hidden layer.</summary>
        [LoRA(rank: 4, Alpha = 8)]
        public sealed partial class IntentClassifier : nn.Module<Tensor, Tensor>, ILoraTrainableModel
        {
            private readonly Embedding embed;
            private readonly Linear hidden;
            [NoLoRA] private readonly Linear head;

            public IntentClassifier(long vocabulary, long labels) : base(nameof(IntentClassifier))
            {
                embed = nn.Embedding(vocabulary, 16);
                hidden = nn.Linear(16, 16);
                head = nn.Linear(16, labels);
                RegisterComponents();
            }

            public LoraTask Task => LoraTask.SequenceClassification;

            public Tensor ComputeLogits(Tensor inputIds, Tensor attentionMask)
            {
                using var scope = NewDisposeScope();
                var mask = attentionMask.unsqueeze(-1).to(float32);
                var pooled = (embed.call(inputIds) * mask).sum(1) / mask.sum(1).clamp_min(1);
                return head.forward(nn.functional.relu(hidden.forward(pooled))).MoveToOuterDisposeScope();
            }

            public override Tensor forward(Tensor inputIds)
            {
                using var mask = ones_like(inputIds);
                return ComputeLogits(inputIds, mask);
            }
        }
        """;

    public const string AppSettings = """
        {
          "LoRA": {
            "Dataset": "data/train.jsonl",
            "ValidationSplit": 0,
            "MaxLength": 16,
            "BatchSize": 4,
            "Epochs": 1,
            "LogEvery": 1,
            "Seed": 7
          },
          "Logging": { "LogLevel": { "Default": "Warning" } }
        }
        """;

    public const string Dataset = """
        {"text":"hello there","label":"greet"}
        {"text":"good morning","label":"greet"}
        {"text":"hi friend","label":"greet"}
        {"text":"bye now","label":"leave"}
        {"text":"see you later","label":"leave"}
        {"text":"good night","label":"leave"}

        """;

    public const string ExtraRecord = "{\"text\":\"hey\",\"label\":\"greet\"}\n";
}
