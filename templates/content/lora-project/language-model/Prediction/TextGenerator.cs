using Company.LoraProject.Model;
using LoraSdk;
using LoraSdk.Data;
using LoraSdk.Hosting;
using Microsoft.Extensions.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace Company.LoraProject.Prediction;

/// <summary>
/// Continues a prompt with the fine-tuned adapter merged into the weights (W + scaling·B·A), so generation costs
/// exactly what the base model costs. Samples each next byte at temperature 0.7 with a fixed seed (repeatable).
/// </summary>
public sealed class TextGenerator(IOptions<LoraFineTuningOptions> options)
{
    /// <summary>The csproj's LoraFineTune item: the build copies its adapter to lora/text-style/ next to the app.</summary>
    private const string AdapterName = "text-style";

    private const int MaxNewBytes = 120;
    private const double Temperature = 0.7;

    public int Run(string prompt)
    {
        var o = options.Value;
        if (!ShippedAdapter.Exists(AdapterName))
        {
            Console.Error.WriteLine($"No adapter in {ShippedAdapter.Directory(AdapterName)}: run `dotnet build` (or `dotnet publish`) first.");
            return 1;
        }
        if (o.Trainer.Threads > 0) torch.set_num_threads(o.Trainer.Threads);
        using var model = TinyLanguageModel.Create();
        if (!model.TryLoadAdapter(ShippedAdapter.Directory(AdapterName), out string problem))
        {
            // A damaged or mismatched adapter is the user's to rebuild, not a crash: say what and how, no stack trace.
            Console.Error.WriteLine($"error: cannot use the adapter: {problem}");
            Console.Error.WriteLine("Rebuild it with `dotnet build` (or `dotnet run -- train`).");
            return 1;
        }
        model.MergeLoRA(safe: true);
        model.eval();

        var tokenizer = new ByteTokenizer(appendEndOfText: false);
        var ids = tokenizer.Encode(prompt).ToList();
        var generated = new List<int>();
        var random = new Generator((ulong)o.Trainer.Seed, TinyLanguageModel.Device);
        using var _ = no_grad();
        for (int i = 0; i < MaxNewBytes; i++)
        {
            using var scope = NewDisposeScope();
            long[] window = [.. ids.TakeLast(TinyLanguageModel.Context).Select(id => (long)id)];
            var logits = model.call(tensor(window, device: TinyLanguageModel.Device).unsqueeze(0))[0, -1];
            var next = (int)multinomial(nn.functional.softmax(logits / Temperature, dim: 0), 1, generator: random).item<long>();
            if (next == ByteTokenizer.EndOfText || next == '\n') break;
            ids.Add(next);
            generated.Add(next);
        }
        Console.WriteLine(prompt + tokenizer.Decode(generated));
        return 0;
    }
}
