using System.Text;
using LoraSdk;
using LoraSdk.Hosting;
using LoraSdk.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace Company.LoraProject.Chat;

/// <summary>
/// Answers with the base model from Model:Path and the fine-tuned adapter merged into its weights (W + scaling·B·A, so
/// an answer costs what the base model costs), printing each piece of text as soon as it is decoded. Greedy decoding:
/// the same question gets the same answer.
/// </summary>
public sealed class Assistant(IConfiguration configuration, IHostEnvironment environment, IOptions<LoraFineTuningOptions> lora)
{
    /// <summary>The csproj's LoraFineTune item: the build copies its adapter to lora/chat/ next to the app.</summary>
    private const string AdapterName = "chat";

    public async Task<int> RunAsync(string? message)
    {
        // Model:Path from appsettings.json, Model__Path or --Model:Path=...; a relative path is relative to the app's folder.
        if (!ChatModelFolder.TryResolve(configuration, environment.ContentRootPath, out string? folder, out string? error))
        {
            Console.Error.WriteLine(error);
            return 1;
        }
        string adapter = ShippedAdapter.Directory(AdapterName);
        if (!ShippedAdapter.Exists(AdapterName))
        {
            Console.Error.WriteLine($"No adapter in {adapter}: run `dotnet build` (or `dotnet publish`) first.");
            return 1;
        }
        if (lora.Value.Trainer.Threads > 0) torch.set_num_threads(lora.Value.Trainer.Threads);
        var settings = configuration.GetSection(ChatFineTuningOptions.SectionName).Get<ChatFineTuningOptions>() ?? new ChatFineTuningOptions();

        CausalLM model;
        try
        {
            model = CausalLM.Load(folder!);
            _ = model.Tokenizer!.ChatTemplate; // tokenizer_config.json's chat_template, recognised (or refused) before the first question
        }
        catch (Exception e) when (e is ModelFolderException or InvalidDataException or InvalidOperationException or IOException)
        {
            // A folder that is no loadable model (a missing tensor, an unknown chat template): the loader's one-line message.
            Console.Error.WriteLine($"error: cannot load the model: {e.Message}");
            return 1;
        }
        using (model)
        {
            try
            {
                model.LoadAdapter(adapter); // adapts exactly the projections the adapter's target_modules name
            }
            catch (Exception e) when (e is AdapterFormatException or IOException or InvalidDataException)
            {
                // A damaged or mismatched adapter is the user's to rebuild, not a crash: say what and how, no stack trace.
                Console.Error.WriteLine($"error: cannot use the adapter: {e.Message}");
                Console.Error.WriteLine("Rebuild it with `dotnet build` (or `dotnet run -- train`).");
                return 1;
            }
            model.MergeLoRA(safe: true);
            var session = new Session(model, settings.MaxNewTokens);
            if (message is not null)
            {
                await session.AnswerAsync(message);
                return 0;
            }
            while (true)
            {
                Console.Write("> ");
                string? line = Console.ReadLine()?.Trim();
                if (string.IsNullOrEmpty(line) || line == "exit") return 0;
                await session.AnswerAsync(line);
            }
        }
    }

    /// <summary>One conversation: every question and answer so far is the context of the next answer.</summary>
    private sealed class Session(CausalLM model, int maxNewTokens)
    {
        private readonly HuggingFaceTokenizer _tokenizer = model.Tokenizer!;
        private readonly List<ChatMessage> _messages = [];

        public async Task AnswerAsync(string question)
        {
            _messages.Add(ChatMessage.User(question));
            // The chat template writes BOS itself, so none is added again; a turn ends at the template's end-of-turn token.
            var options = new GenerationOptions { MaxNewTokens = maxNewTokens, EosTokenIds = _tokenizer.ChatStopTokenIds(), AddSpecialTokens = false };
            var answer = new StringBuilder();
            await foreach (string piece in model.GenerateAsync(_tokenizer.ApplyChatTemplate(_messages, addGenerationPrompt: true), options))
            {
                Console.Write(piece);
                answer.Append(piece);
            }
            Console.WriteLine();
            _messages.Add(ChatMessage.Assistant(answer.ToString()));
        }
    }
}
