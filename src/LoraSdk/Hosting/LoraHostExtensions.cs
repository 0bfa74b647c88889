using System.Text.RegularExpressions;
using LoraSdk.Data;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoraSdk.Hosting;

/// <summary>Runs a host built with <see cref="LoraFineTuningServiceCollectionExtensions.AddLoraFineTuning{TModel}"/>.</summary>
public static partial class LoraHostExtensions
{
    /// <summary>
    /// Starts the host, waits for the job and returns the exit code (<see cref="FineTuningExitCodes"/>). Invalid
    /// options are printed as <c>file(line,col): error LORA210: …</c> lines on stderr (exit code 2). On success
    /// the adapter path is the last line printed.
    /// </summary>
    public static async Task<int> RunLoraFineTuningAsync(this IHost host)
    {
        var outcome = host.Services.GetRequiredService<FineTuningOutcome>();
        var configuration = host.Services.GetRequiredService<IConfiguration>();
        try
        {
            try
            {
                await host.StartAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (OptionErrors(e, configuration) is { Count: > 0 } errors)
            {
                foreach (var error in errors) await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                return FineTuningExitCodes.InvalidInput;
            }
            catch (Exception e)
            {
                return FailureReport.Write(e, host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LoraSdk.FineTuning"));
            }
            await host.WaitForShutdownAsync().ConfigureAwait(false);
        }
        finally
        {
            // Disposing flushes the console logger, so the adapter path really comes last.
            if (host is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            else host.Dispose();
        }
        if (outcome.ExitCode == FineTuningExitCodes.Success && outcome.AdapterPath is not null)
            await Console.Out.WriteLineAsync(outcome.AdapterPath).ConfigureAwait(false);
        return outcome.ExitCode;
    }

    /// <summary>Canonical LORA210 lines for start-up option failures (validation or a value that does not convert).</summary>
    internal static IReadOnlyList<string> OptionErrors(Exception exception, IConfiguration configuration)
    {
        var errors = new List<string>();
        foreach (var e in Flatten(exception))
        {
            // The LoRA section's failures, and those of options a task registers beside it (LoraSdk.Models' Model:Path),
            // read "Section:Key = value: problem", so each line points at what set the key.
            if (e is OptionsValidationException validation)
            {
                foreach (var failure in validation.Failures)
                    errors.Add(ConfigurationOrigin.ErrorLine(configuration, failure.Split(" = ", 2)[0], failure));
            }
            else if (e is InvalidOperationException && ConversionFailure().Match(e.Message) is { Success: true } match)
            {
                string key = match.Groups["key"].Value;
                string type = match.Groups["type"].Value.Replace("System.", "");
                bool loraKey = key.StartsWith(LoraFineTuningOptions.SectionName + ":", StringComparison.OrdinalIgnoreCase);
                string problem = (loraKey ? EnumOptions.Problem(key[(key.IndexOf(':') + 1)..], configuration[key]) : null) ?? $"not a valid {type}.";
                errors.Add(ConfigurationOrigin.ErrorLine(configuration, key, $"{key} = {configuration[key]}: {problem}"));
            }
        }
        return errors;
    }

    private static IEnumerable<Exception> Flatten(Exception exception) =>
        exception is AggregateException aggregate ? aggregate.InnerExceptions.SelectMany(Flatten) : [exception];

    // Microsoft.Extensions.Configuration.Binder: "Failed to convert configuration value '...' at 'LoRA:Rank' to type 'System.Int32'."
    [GeneratedRegex(@"at '(?<key>[^']+)' to type '(?<type>[^']+)'")]
    private static partial Regex ConversionFailure();
}
