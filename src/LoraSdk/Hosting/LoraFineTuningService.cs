using LoraSdk.Data;
using LoraSdk.Search;
using LoraSdk.Shared;
using LoraSdk.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Hosting;

/// <summary>What <see cref="LoraFineTuningServiceCollectionExtensions.AddLoraFineTuning{TModel}"/> registered.</summary>
internal sealed record LoraFineTuningRegistration(LoraTask Task, Func<LoraModelContext, nn.Module> CreateModel, string ModelName);

/// <summary>
/// Runs one fine-tuning job in the host: read and check the data, build the model, train (stopping at a step
/// boundary with a checkpoint on Ctrl+C/SIGTERM), write the adapter and loss curve, then stop the host.
/// </summary>
internal sealed class LoraFineTuningService(
    LoraFineTuningRegistration registration,
    IOptions<LoraFineTuningOptions> options,
    IConfiguration configuration,
    IServiceProvider services,
    ILoggerFactory loggers,
    IHostApplicationLifetime lifetime,
    FineTuningOutcome outcome,
    IEnumerable<ILoraAdapterExporter> exporters) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger("LoraSdk.FineTuning");

    // Training is CPU-bound and synchronous: a dedicated thread keeps it off the thread pool.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Factory.StartNew(() =>
    {
        try
        {
            outcome.ExitCode = Run(stoppingToken);
        }
        catch (Exception e)
        {
            outcome.ExitCode = FailureReport.Write(e, _logger);
        }
        finally
        {
            Environment.ExitCode = outcome.ExitCode;
            lifetime.StopApplication();
        }
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private int Run(CancellationToken stoppingToken)
    {
        var o = options.Value;
        // A registered task (chat data, say) reads its own data; a LoraInputException is reported as its line, exit code 2.
        var task = services.GetService<ILoraFineTuningTask>();
        var taskData = task?.LoadData(o);
        var data = taskData is null ? FineTuningData.Load(o, registration.Task) : FineTuningData.From(taskData, o);
        var search = SearchOptions.From(configuration, LoraFineTuningOptions.SectionName);
        if (search.IsSearch)
        {
            int exitCode = new SearchRun(o, search, registration.Task, registration.ModelName, configuration, _logger, () => DeclaredAdapterOptions(o, data))
                .Execute(data, outcome, stoppingToken);
            if (exitCode == FineTuningExitCodes.Success) WriteDependencyFile(o, data);
            return exitCode;
        }

        // Seeding here makes the adapters' initialisation part of "same seed, same adapter".
        torch.manual_seed(o.Trainer.Seed);
        // The set adapter keys (not their defaults): an unset key keeps what the attributes declare, e.g.
        // LoRA:Rank alone keeps a [LoRA] class's alpha, as PEFT's r does.
        var adapterOverride = o.Adapter.IsEmpty ? null : o.Adapter;
        using var model = CreateModel(new LoraModelContext(o.ToLoraOptions(), o, data.Tokenizer, data.Labels, services), adapterOverride);
        if (model is ILoraTrainableModel trainable && trainable.Task != registration.Task)
            throw new InvalidOperationException($"{registration.ModelName} reports task {trainable.Task} but was registered for {registration.Task}.");

        WarnIfOverrideNotApplied(model, adapterOverride);
        if (o.BaseQuantization is { } baseKind) QuantizeBase(model, baseKind, [.. o.Trainer.ModulesToSave]);
        // LoRA:Gguf and the like: refused now, before the first step, when no registered exporter takes this model.
        var exports = AdapterExports.Choose(model, registration.ModelName, o, exporters, configuration);

        var reporter = new ProgressReporter(_logger, Console.Out, Console.Error, o.Progress, !Console.IsOutputRedirected);
        var observer = task is null ? reporter : task.Observe(model, taskData!, Path.GetFullPath(o.Output), reporter);
        var saveOptions = new AdapterSaveOptions
        {
            ModulesToSave = o.Trainer.ModulesToSave,
            BaseModelNameOrPath = o.BaseModel,
            // No SEQ_CLS for classifiers: to PEFT users it means AutoModelForSequenceClassification (CLS + pooler
            // head), which would load these keys into a differently built model (docs/models.md shows the Python).
            TaskType = registration.Task == LoraTask.SequenceClassification ? null : "CAUSAL_LM",
            Warning = message => _logger.LogWarning("{Warning}", message),
        };
        var trainer = new LoraTrainer(model, o.ToTrainerOptions(), saveOptions, _logger);
        _logger.LogInformation("Fine-tuning {Model} on {Train} examples ({Validation} for validation); {Parameters}",
            registration.ModelName, data.Train.Count, data.Validation.Count, model.CountParameters());
        if (o.Trainer.UsesLoraPlus) // the progress line shows the base rate only
            _logger.LogInformation("LoRA+: lora_B and 1-D tensors train at {Ratio} × the learning rate ({Rate}), Embedding adapters at {EmbeddingRate}; the schedule scales each alike",
                o.Trainer.LoraPlusLrRatio, o.Trainer.LoraPlusLrRatio * o.Trainer.LearningRate, o.Trainer.LoraPlusLrEmbedding);

        var result = trainer.Train(data.Train, data.Validation, data.Tokenizer.PaddingId, observer, stoppingToken);
        reporter.EndLiveLine();
        if (result.Outcome == TrainingOutcome.Cancelled)
        {
            _logger.LogWarning("Stopped at step {Step} of {Total}; the checkpoint in {Directory} resumes the run on the next start",
                result.Steps, result.TotalSteps, Path.GetFullPath(o.ResolvedCheckpointDirectory));
            return FineTuningExitCodes.Cancelled;
        }

        model.SaveAdapter(o.Output, saveOptions);
        string adapter = Path.GetFullPath(o.Output);
        outcome.AdapterPath = adapter;
        string curve = LossCurvePath(adapter);
        LossCurveSvg.Write(curve, result.History, $"{registration.ModelName}: LoRA fine-tuning loss");
        // After the PEFT adapter is in place: a failed export ends the run (LORA240) with that adapter intact.
        exports.Write(model, adapter, o, _logger);
        // A paused run (LoRA:PauseAtStep, as search trials run) keeps its checkpoint: the next run continues it.
        if (result.Outcome != TrainingOutcome.Paused && Directory.Exists(o.ResolvedCheckpointDirectory))
            Directory.Delete(o.ResolvedCheckpointDirectory, recursive: true);
        WriteDependencyFile(o, data);

        LogSummary(result, adapter, curve);
        reporter.WriteResult(adapter, result);
        outcome.Result = result;
        return FineTuningExitCodes.Success;
    }

    /// <summary>
    /// Builds the model inside a <see cref="LoraOptionsOverride"/> scope of the configured adapter keys, so that
    /// [LoRA] classes (whose options are compile-time attributes) take them too; hand-written models read
    /// <see cref="LoraModelContext.Lora"/>.
    /// </summary>
    private nn.Module CreateModel(LoraModelContext context, LoraOptionsOverride? adapterOverride)
    {
        using var scope = adapterOverride is null ? null : LoraOptionsOverride.Apply(adapterOverride);
        return registration.CreateModel(context);
    }

    /// <summary>
    /// The adapter options the model ends up with under the configured keys (those left unset come from its [LoRA]
    /// attributes), when all its adapters share them; else null. Builds the model once, for the search's incumbent.
    /// </summary>
    private LoraOptions? DeclaredAdapterOptions(LoraFineTuningOptions o, FineTuningData data)
    {
        using var model = CreateModel(new LoraModelContext(o.ToLoraOptions(), o, data.Tokenizer, data.Labels, services), o.Adapter.IsEmpty ? null : o.Adapter);
        var distinct = model.ActiveLoraAdapters().Select(a => a.Adapter.Options).Distinct().ToList();
        return distinct.Count == 1 ? distinct[0] : null;
    }

    /// <summary>
    /// A factory that builds adapters with options of its own (neither from <see cref="LoraModelContext.Lora"/>
    /// nor through [LoRA] classes) defeats the configured keys: say so rather than ignore them silently.
    /// </summary>
    private void WarnIfOverrideNotApplied(nn.Module model, LoraOptionsOverride? adapterOverride)
    {
        if (adapterOverride is null) return;
        var missed = model.ActiveLoraAdapters().FirstOrDefault(a => !adapterOverride.IsReflectedIn(a.Adapter.Options));
        if (missed.Adapter is null) return;
        var actual = missed.Adapter.Options;
        _logger.LogWarning(
            "The configured {Override} did not reach {Model}: its factory built adapter {Path} with its own settings (rank {Rank}, alpha {Alpha}, dropout {Dropout}); pass LoraModelContext.Lora to hand-made adapters",
            Describe(adapterOverride), registration.ModelName, missed.Path, actual.Rank, actual.Alpha, actual.Dropout);
    }

    private static string Describe(LoraOptionsOverride o) => string.Join(", ", new (string Key, object? Value)[]
        {
            (nameof(o.Rank), o.Rank), (nameof(o.Alpha), o.Alpha), (nameof(o.Dropout), o.Dropout), (nameof(o.UseRsLoRA), o.UseRsLoRA), (nameof(o.Init), o.Init), (nameof(o.UseDoRA), o.UseDoRA),
        }.Where(p => p.Value is not null)
         .Select(p => $"{LoraFineTuningOptions.SectionName}:{p.Key}={Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture)}"));

    /// <summary>LoRA:BaseQuantization: applied once the factory built the model (and loaded its pretrained weights).</summary>
    private void QuantizeBase(nn.Module model, LoraBase kind, string[] modulesToSave)
    {
        model.QuantizeBase(kind, modulesToSave);
        var (bytes, float32) = model.BaseWeightBytes();
        _logger.LogInformation("Base weights of the adapted layers stored as {Kind}: {Bytes:N0} bytes ({Ratio:0.000} of float32)",
            kind, bytes, float32 == 0 ? 1 : (double)bytes / float32);
    }

    /// <summary>What the build's next up-to-date check compares with the adapter (when the build asked for it).</summary>
    private void WriteDependencyFile(LoraFineTuningOptions o, FineTuningData data) =>
        DependencyFileWriter.WriteIfRequested(configuration, o, services.GetRequiredService<IHostEnvironment>().ContentRootPath, data.InputPaths);

    /// <summary>The loss curve goes next to the adapter folder: <c>&lt;adapter&gt;.loss.svg</c>.</summary>
    public static string LossCurvePath(string adapterDirectory) => FineTuneContract.LossCurvePath(adapterDirectory);

    private void LogSummary(TrainingResult result, string adapter, string curve)
    {
        _logger.LogInformation("Done: {Outcome} after {Steps} steps in {Seconds:0.0} s; {Parameters}",
            result.Outcome switch { TrainingOutcome.StoppedEarly => "stopped early", TrainingOutcome.Paused => $"paused (of {result.TotalSteps})", _ => "completed" }, result.Steps, result.Elapsed.TotalSeconds, result.Parameters);
        _logger.LogInformation("Final training loss {TrainLoss}, validation loss {ValidationLoss}{Accuracy}",
            Format(result.TrainLoss), Format(result.ValidationLoss),
            result.ValidationAccuracy is { } a ? $", validation accuracy {a:P1} (base model {result.BaselineValidationAccuracy:P1})" : "");
        _logger.LogInformation("Loss curve: {Curve}", curve);
        _logger.LogInformation("Adapter: {Adapter}", adapter);
    }

    private static string Format(double? value) => value is { } v ? v.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture) : "n/a";
}
