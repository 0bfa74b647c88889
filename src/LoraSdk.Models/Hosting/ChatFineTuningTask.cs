using LoraSdk.Data;
using LoraSdk.Hosting;
using LoraSdk.Training;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// The chat task of the hosted fine-tuning (<see cref="ILoraFineTuningTask"/>): reads the <c>LoRA</c> section's
/// <c>Dataset</c> / <c>ValidationDataset</c> as chat JSONL (<see cref="ChatJsonlReader"/>), renders them with the model
/// folder's chat template and encodes them with assistant-only labels (<see cref="ChatDataset"/>); at each evaluation
/// prints validation perplexity and sample answers and writes them to samples.jsonl in the adapter folder
/// (<see cref="ChatSampleObserver"/>). One instance serves one run: the validation conversations it read are the
/// sample prompts.
/// </summary>
internal sealed class ChatFineTuningTask(IOptions<ChatModelOptions> model, IOptions<ChatFineTuningOptions> chat, IHostEnvironment environment) : ILoraFineTuningTask
{
    private IReadOnlyList<ChatRecord> _validation = [];
    private ChatTemplate? _template;

    public LoraTaskData LoadData(LoraFineTuningOptions options)
    {
        string folder = ModelFolder();
        var tokenizer = LoadTokenizer(folder);
        var settings = chat.Value;
        var dataOptions = new ChatDataOptions { MaxLength = options.MaxLength, Overflow = settings.Overflow, Pack = settings.Pack, Template = _template };

        var train = ChatJsonlReader.Read(options.Dataset!);
        IReadOnlyList<ChatRecord> validation = [];
        if (options.ValidationDataset is not null) validation = ChatJsonlReader.Read(options.ValidationDataset);
        else if (options.ValidationSplit > 0 && train.Count >= 2) (train, validation) = DataSplit.Split(train, options.ValidationSplit, options.Trainer.Seed);

        var trainSet = ChatDataset.FromRecords(train, tokenizer, dataOptions);
        // Validation stays one conversation per row: the same mean token loss as packed, and the samples' prompts are whole.
        var validationSet = ChatDataset.FromRecords(validation, tokenizer, dataOptions with { Pack = false });
        foreach (string warning in trainSet.Warnings.Concat(validationSet.Warnings)) Console.Error.WriteLine(warning);
        _validation = validationSet.Records;
        return new LoraTaskData(trainSet.Examples, validationSet.Examples, new ChatTextTokenizer(tokenizer)) { InputPaths = [folder] };
    }

    public ITrainingObserver Observe(nn.Module model, LoraTaskData data, string adapterDirectory, ITrainingObserver progress)
    {
        if (model is not CausalLM causal) return progress;
        var settings = chat.Value;
        return new ChatSampleObserver(causal, _validation, Console.Out, adapterDirectory, settings.Samples, settings.MaxNewTokens, _template, progress);
    }

    /// <summary>The model a chat fine-tune trains: the configured folder, adapters as the LoRA and Chat sections say.</summary>
    public CausalLM CreateModel(LoraModelContext context)
    {
        string folder = ModelFolder();
        var settings = chat.Value;
        var load = new CausalLMLoadOptions
        {
            Rank = context.Lora.Rank, Alpha = context.Lora.Alpha, Dropout = context.Lora.Dropout, TargetModules = settings.EffectiveTargetModules,
        };
        try
        {
            var built = CausalLM.Load(folder, load);
            built.GradientCheckpointing = settings.GradientCheckpointing;
            return built;
        }
        catch (ModelFolderException e)
        {
            throw new LoraInputException(LoraErrorCodes.InvalidModel, e.File, 1, 1, Problem(e.Message, e.File), e);
        }
    }

    private string ModelFolder() =>
        model.Value.Resolve(environment.ContentRootPath).Folder
        ?? throw new InvalidOperationException($"{ChatModelOptions.PathKey} was checked at start-up but names no model folder now.");

    private HuggingFaceTokenizer LoadTokenizer(string folder)
    {
        string file = Path.Combine(folder, CausalLM.TokenizerFile);
        try
        {
            var tokenizer = HuggingFaceTokenizer.Load(folder);
            _template = tokenizer.ChatTemplate; // the folder's chat template, checked before any data is read
            return tokenizer;
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or FileNotFoundException)
        {
            throw new LoraInputException(LoraErrorCodes.InvalidModel, file, 1, 1, Problem(e.Message, file), e);
        }
    }

    /// <summary>The message without the file name it starts with (the canonical line puts the file first already).</summary>
    private static string Problem(string message, string file) =>
        message.StartsWith(file + ": ", StringComparison.Ordinal) ? message[(file.Length + 2)..] : message;
}
