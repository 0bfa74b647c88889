using System.Text.Json;
using LoraSdk.Shared;
using Microsoft.Extensions.Configuration;

namespace LoraSdk.Hosting;

/// <summary>
/// What <c>dotnet build</c> reads from a fine-tuning program (docs/build-integration.md, "The trainer↔build contract"),
/// for a program with a training loop of its own: <see cref="LoraHostExtensions.RunLoraFineTuningAsync"/> writes the
/// same lines and file itself. Spelled once, in src/Shared/FineTuneContract.cs.
/// </summary>
public static class BuildProtocol
{
    /// <summary>The final <c>lora-result: {json}</c> line: the build shows it even at minimal verbosity.</summary>
    public static void WriteResult(string adapter, double? trainLoss, double? validationLoss, double? validationAccuracy,
        double? baselineValidationAccuracy, TimeSpan elapsed, TextWriter? output = null) =>
        WriteLine(output ?? Console.Out, FineTuneContract.Lines.Result, new()
        {
            [FineTuneContract.Fields.Adapter] = adapter,
            [FineTuneContract.Fields.TrainLoss] = Round(trainLoss),
            [FineTuneContract.Fields.ValidationLoss] = Round(validationLoss),
            [FineTuneContract.Fields.ValidationAccuracy] = validationAccuracy,
            [FineTuneContract.Fields.BaselineValidationAccuracy] = baselineValidationAccuracy,
            [FineTuneContract.Fields.Seconds] = Math.Round(elapsed.TotalSeconds, 2),
        });

    /// <summary>
    /// After a successful run, when the build asked for it (<c>--LoraSdkBuild:DependencyFile=&lt;path&gt;</c>), lists the
    /// files the run read: the JSON configuration files of <paramref name="configuration"/> and
    /// <paramref name="inputs"/> (files, or folders: every file in them). Without it the build trains on every build
    /// (warning LORA116). Relative paths are relative to the working directory.
    /// </summary>
    public static void WriteDependencyFile(IConfiguration configuration, IEnumerable<string?> inputs) =>
        DependencyFileWriter.WriteIfRequested(configuration, Directory.GetCurrentDirectory(), inputs, exclude: []);

    internal static void WriteLine(TextWriter output, string prefix, Dictionary<string, object?> fields)
    {
        output.WriteLine(FineTuneContract.Lines.Format(prefix, JsonSerializer.Serialize(fields)));
        output.Flush();
    }

    // JSON has no NaN/Infinity: a diverged loss is reported as null.
    internal static double? Round(double? value) => value is { } v && double.IsFinite(v) ? Math.Round(v, 6) : null;
}
