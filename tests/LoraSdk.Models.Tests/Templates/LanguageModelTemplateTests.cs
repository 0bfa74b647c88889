using System.Text.Json;
using Company.LoraProject.Model;
using LoraSdk.Training;
using Microsoft.Extensions.Logging;

namespace LoraSdk.Models.Tests.Templates;

/// <summary>
/// The language-model template's model, with the ModulesToSave its appsettings.json lists, as the trainer starts on
/// it: nothing to warn about (every run of a fresh project used to say "'positions', 'norm': trainable, but in no
/// LoRA adapter and not in ModulesToSave").
/// </summary>
public sealed class LanguageModelTemplateTests
{
    private sealed class Warnings : ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning) Messages.Add(formatter(state, exception));
        }
    }

    [Fact]
    public void AFreshTemplateModelTrainsWithoutAFreezingWarning()
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TemplateCopies", "language-model.appsettings.json")));
        string[] modulesToSave = [.. settings.RootElement.GetProperty("LoRA").GetProperty("ModulesToSave").EnumerateArray().Select(e => e.GetString()!)];
        Assert.Equal(["head", "tokens"], modulesToSave);

        using var model = TinyLanguageModel.Create();
        var warnings = new Warnings();
        _ = new LoraTrainer(model, new TrainerOptions { MaxSteps = 1, ModulesToSave = modulesToSave }, logger: warnings);
        Assert.Empty(warnings.Messages);
        // What trains is what the adapter file holds: the adapters and the two listed modules, not positions or norm.
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.Contains(trainable, n => n.StartsWith("head.", StringComparison.Ordinal));
        Assert.Contains(trainable, n => n.StartsWith("tokens.", StringComparison.Ordinal));
        Assert.DoesNotContain(trainable, n => n.StartsWith("positions.", StringComparison.Ordinal) || n.StartsWith("norm.", StringComparison.Ordinal));
    }
}
