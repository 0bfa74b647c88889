using LoraSdk.Data;
using LoraSdk.Training;
using Microsoft.Extensions.Configuration;
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
    FineTuningOutcome outcome) : BackgroundService
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
            _logger.LogError(e, "Fine-tuning failed");
            outcome.ExitCode = FineTuningExitCodes.Failed;
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
        FineTuningData data;
        try
        {
            data = FineTuningData.Load(o, registration.Task);
        }
        catch (LoraInputException e)
        {
            Console.Error.WriteLine(e.CanonicalMessage);
            return FineTuningExitCodes.InvalidInput;
        }

        // Seeding here makes the adapters' initialisation part of "same seed, same adapter".
        torch.manual_seed(o.Seed);
        using var model = registration.CreateModel(new LoraModelContext(o.ToLoraOptions(), o, data.Tokenizer, data.Labels, services));
        if (model is ILoraTrainableModel trainable && trainable.Task != registration.Task)
            throw new InvalidOperationException($"{registration.ModelName} reports task {trainable.Task} but was registered for {registration.Task}.");

        WarnIfAdapterSettingsUnused(model, o.ToLoraOptions());

        var reporter = new ProgressReporter(_logger, Console.Out, o.Progress, !Console.IsOutputRedirected);
        var saveOptions = new AdapterSaveOptions
        {
            ModulesToSave = o.ModulesToSave,
            BaseModelNameOrPath = o.BaseModel,
            TaskType = registration.Task == LoraTask.SequenceClassification ? "SEQ_CLS" : "CAUSAL_LM",
        };
        var trainer = new LoraTrainer(model, o.ToTrainerOptions(), saveOptions);
        _logger.LogInformation("Fine-tuning {Model} on {Train} examples ({Validation} for validation); {Parameters}",
            registration.ModelName, data.Train.Count, data.Validation.Count, model.CountParameters());

        var result = trainer.Train(data.Train, data.Validation, data.Tokenizer.PaddingId, reporter, stoppingToken);
        reporter.EndLiveLine();
        if (result.Outcome == TrainingOutcome.Cancelled)
        {
            _logger.LogWarning("Stopped at step {Step} of {Total}; the checkpoint in {Directory} resumes the run on the next start",
                result.Steps, result.TotalSteps, Path.GetFullPath(o.ResolvedCheckpointDirectory));
            return FineTuningExitCodes.Cancelled;
        }

        model.SaveAdapter(o.Output, saveOptions);
        string adapter = Path.GetFullPath(o.Output);
        string curve = LossCurvePath(adapter);
        LossCurveSvg.Write(curve, result.History, $"{registration.ModelName}: LoRA fine-tuning loss");
        if (Directory.Exists(o.ResolvedCheckpointDirectory)) Directory.Delete(o.ResolvedCheckpointDirectory, recursive: true);

        LogSummary(result, adapter, curve);
        reporter.WriteResult(adapter, result);
        outcome.AdapterPath = adapter;
        outcome.Result = result;
        return FineTuningExitCodes.Success;
    }

    /// <summary>
    /// Rank, alpha, dropout, rsLoRA and init reach a model only through <see cref="LoraModelContext.Lora"/>; a
    /// [LoRA] class takes them from its attributes at compile time. Say so rather than ignore them silently.
    /// </summary>
    private void WarnIfAdapterSettingsUnused(nn.Module model, LoraOptions configured)
    {
        string[] adapterKeys = [nameof(LoraFineTuningOptions.Rank), nameof(LoraFineTuningOptions.Alpha), nameof(LoraFineTuningOptions.Dropout),
            nameof(LoraFineTuningOptions.UseRsLoRA), nameof(LoraFineTuningOptions.Init)];
        var set = adapterKeys.Where(k => configuration[$"{LoraFineTuningOptions.SectionName}:{k}"] is not null).ToList();
        var differing = model.LoraAdapters().FirstOrDefault(a => a.Adapter.Options != configured);
        if (set.Count == 0 || differing.Adapter is null) return;
        var actual = differing.Adapter.Options;
        _logger.LogWarning(
            "Ignoring {Keys} for {Model}: its adapters were built with their own settings (e.g. {Path}: rank {Rank}, alpha {Alpha}, dropout {Dropout}), typically from [LoRA] attributes",
            string.Join(", ", set.Select(k => $"{LoraFineTuningOptions.SectionName}:{k}")), registration.ModelName, differing.Path, actual.Rank, actual.Alpha, actual.Dropout);
    }

    /// <summary>The loss curve goes next to the adapter folder: <c>&lt;adapter&gt;.loss.svg</c>.</summary>
    public static string LossCurvePath(string adapterDirectory) => Path.GetFullPath(adapterDirectory).TrimEnd(Path.DirectorySeparatorChar) + ".loss.svg";

    private void LogSummary(TrainingResult result, string adapter, string curve)
    {
        _logger.LogInformation("Done: {Outcome} after {Steps} steps in {Seconds:0.0} s; {Parameters}",
            result.Outcome == TrainingOutcome.StoppedEarly ? "stopped early" : "completed", result.Steps, result.Elapsed.TotalSeconds, result.Parameters);
        _logger.LogInformation("Final training loss {TrainLoss}, validation loss {ValidationLoss}{Accuracy}",
            Format(result.TrainLoss), Format(result.ValidationLoss),
            result.ValidationAccuracy is { } a ? $", validation accuracy {a:P1} (base model {result.BaselineValidationAccuracy:P1})" : "");
        _logger.LogInformation("Loss curve: {Curve}", curve);
        _logger.LogInformation("Adapter: {Adapter}", adapter);
    }

    private static string Format(double? value) => value is { } v ? v.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture) : "n/a";
}
