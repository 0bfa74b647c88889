using System.Buffers.Binary;
using System.Text.Json;
using LoraSdk.Hosting;
using LoraSdk.Training.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using QuickStart;

namespace LoraSdk.Training.Tests.Hosting;

/// <summary><c>--LoRA:Rank</c> etc. reach a [LoRA] model (options fixed by attributes at compile time) through the host.</summary>
[Collection(nameof(ConsoleCapture))]
public class AdapterOverrideHostTests
{
    [Fact]
    public async Task RankOnTheCommandLineChangesTheAdaptersOfALoraAttributeModel()
    {
        using var folder = new TempFolder();
        var output = folder.Combine("adapter");
        var warnings = new List<string>();
        // TinyByteLm declares [LoRA(rank: 8, Alpha = 16, Dropout = 0.05)] on every projection.
        using var host = BuildHost(folder, output, warnings, _ => new TinyByteLm(), "--LoRA:Rank=4");

        Assert.Equal(FineTuningExitCodes.Success, await host.RunLoraFineTuningAsync());

        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "adapter_config.json")));
        Assert.Equal(4, config.RootElement.GetProperty("r").GetInt32());
        Assert.Equal(16, config.RootElement.GetProperty("lora_alpha").GetDouble()); // an unset Alpha keeps the declared one
        var shapes = SafetensorsShapes(Path.Combine(output, "adapter_model.safetensors"));
        var loraA = shapes.Where(s => s.Key.EndsWith("lora_A.weight")).ToList();
        var loraB = shapes.Where(s => s.Key.EndsWith("lora_B.weight")).ToList();
        Assert.Equal(2 * 6 + 1, loraA.Count); // 6 projections per block, 2 blocks, the head
        Assert.All(loraA, s => Assert.Equal(4, s.Value[0]));
        Assert.All(loraB, s => Assert.Equal(4, s.Value[1]));
        Assert.Contains(shapes, s => s.Key.EndsWith("head.lora_A.weight") && s.Value.SequenceEqual([4L, TinyByteLm.Dim]));
        Assert.Empty(warnings);
    }

    [Fact]
    public async Task UseDoRAOnTheCommandLineTrainsAndSavesADoraAdapter()
    {
        using var folder = new TempFolder();
        var output = folder.Combine("adapter");
        var warnings = new List<string>();
        TinyByteLm? built = null;
        using var host = BuildHost(folder, output, warnings, _ => built = new TinyByteLm(), "--LoRA:UseDoRA=true");

        Assert.Equal(FineTuningExitCodes.Success, await host.RunLoraFineTuningAsync());

        Assert.All(built!.ActiveLoraAdapters(), a => Assert.True(a.Adapter.Options.UseDoRA));
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "adapter_config.json")));
        Assert.True(config.RootElement.GetProperty("use_dora").GetBoolean());
        var shapes = SafetensorsShapes(Path.Combine(output, "adapter_model.safetensors"));
        var magnitudes = shapes.Where(s => s.Key.EndsWith(".lora_magnitude_vector")).ToList();
        Assert.Equal(2 * 6 + 1, magnitudes.Count); // one per adapted projection, shape (out)
        Assert.All(magnitudes, s => Assert.Single(s.Value));
        Assert.Empty(warnings);
    }

    [Fact]
    public async Task BaseQuantizationOnTheCommandLineQuantizesTheBaseAndSavesAnOrdinaryAdapter()
    {
        using var folder = new TempFolder();
        var output = folder.Combine("adapter");
        var warnings = new List<string>();
        TinyByteLm? built = null;
        using var host = BuildHost(folder, output, warnings, _ => built = new TinyByteLm(), "--LoRA:BaseQuantization=Nf4");

        Assert.Equal(FineTuningExitCodes.Success, await host.RunLoraFineTuningAsync());

        Assert.All(built!.ActiveLoraAdapters(), a => Assert.Equal(LoraBase.Nf4, a.Adapter.BaseStorage));
        var shapes = SafetensorsShapes(Path.Combine(output, "adapter_model.safetensors"));
        Assert.Equal(2 * (2 * 6 + 1), shapes.Count); // only lora_A/lora_B: nothing of the quantized base
        Assert.All(shapes.Keys, k => Assert.Contains(".lora_", k));
        Assert.Empty(warnings);
    }

    [Fact]
    public async Task AFactoryThatBuildsAdaptersWithItsOwnOptionsIsWarnedAbout()
    {
        using var folder = new TempFolder();
        var warnings = new List<string>();
        using var host = BuildHost(folder, folder.Combine("adapter"), warnings,
            _ => new TinyCausalLm(new LoraOptions(8, 8)), "--LoRA:Rank=4");

        Assert.Equal(FineTuningExitCodes.Success, await host.RunLoraFineTuningAsync());

        // TinyCausalLm's plain embedding draws the trainer's freezing warning as well (a test of its own).
        var warning = Assert.Single(warnings, w => w.Contains("did not reach"));
        Assert.Contains("LoRA:Rank=4 did not reach", warning);
        Assert.Contains(warnings, w => w.StartsWith("'embed': trainable, but in no LoRA adapter", StringComparison.Ordinal));
        Assert.Contains("rank 8", warning);
    }

    [Fact]
    public async Task RetrainingOverTheAdapterFolderKeepsAUsersBackupSubfolderAndSaysSo()
    {
        using var folder = new TempFolder();
        var output = folder.Combine("adapter");
        using (var first = BuildHost(folder, output, [], _ => new TinyByteLm()))
            Assert.Equal(FineTuningExitCodes.Success, await first.RunLoraFineTuningAsync());
        string backup = Path.Combine(output, "backup-v1");
        Directory.CreateDirectory(backup);
        foreach (string file in new[] { "adapter_config.json", "adapter_model.safetensors" })
            File.Copy(Path.Combine(output, file), Path.Combine(backup, file));
        byte[] kept = File.ReadAllBytes(Path.Combine(backup, "adapter_model.safetensors"));

        var warnings = new List<string>();
        using (var again = BuildHost(folder, output, warnings, _ => new TinyByteLm(), "--LoRA:Seed=7"))
            Assert.Equal(FineTuningExitCodes.Success, await again.RunLoraFineTuningAsync());

        Assert.Equal(kept, File.ReadAllBytes(Path.Combine(backup, "adapter_model.safetensors")));
        Assert.NotEqual(kept, File.ReadAllBytes(Path.Combine(output, "adapter_model.safetensors"))); // retrained, seed 7
        Assert.Contains(warnings, w => w.StartsWith($"{backup}: warning: kept: it holds adapter files, but LoraSdk did not write it", StringComparison.Ordinal));
    }

    private static IHost BuildHost<TModel>(TempFolder folder, string output, List<string> warnings,
        Func<LoraModelContext, TModel> createModel, params string[] extraArgs)
        where TModel : TorchSharp.torch.nn.Module, LoraSdk.Training.ILoraTrainableModel
    {
        var data = folder.File("corpus.txt", string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 20)));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = folder.Path,
            Args = [$"--LoRA:Dataset={data}", $"--LoRA:Output={output}", "--LoRA:TextMode=Corpus", "--LoRA:MaxLength=32",
                "--LoRA:MaxSteps=1", "--LoRA:BatchSize=2", "--LoRA:ValidationSplit=0", "--LoRA:Progress=Plain", .. extraArgs],
        });
        builder.Logging.AddProvider(new WarningCollector(warnings));
        builder.Services.AddLoraFineTuning(createModel);
        return builder.Build();
    }

    /// <summary>Tensor name → shape from a safetensors header (8-byte little-endian length, then JSON).</summary>
    private static Dictionary<string, long[]> SafetensorsShapes(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long length = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)length));
        return header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__")
            .ToDictionary(p => p.Name, p => p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray());
    }

    private sealed class WarningCollector(List<string> warnings) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) lock (warnings) warnings.Add(formatter(state, exception));
        }

        public void Dispose() { }
    }
}
