using System.Globalization;

namespace LoraSdk.Bench.Quantization;

/// <summary>Command-line settings; a child gets <see cref="Part"/> and <see cref="Base"/>.</summary>
public sealed record QuantBenchSettings(string? Part, LoraBase Base, int Rounds, int Epochs, int Warmup, int Steps, int Threads, bool Tiny)
{
    /// <summary>The bases compared, float32 first (the reference of every ratio).</summary>
    public static readonly LoraBase[] Bases = [LoraBase.Float32, LoraBase.Int8, LoraBase.Nf4, LoraBase.Nf4DoubleQuant];

    public static QuantBenchSettings Parse(string[] args)
    {
        var settings = new QuantBenchSettings(null, LoraBase.Float32, Rounds: 3, Epochs: 3, Warmup: 2, Steps: 5, Threads: 2, Tiny: false);
        for (int i = 0; i < args.Length; i++)
        {
            settings = args[i] switch
            {
                "--base" => settings with { Base = Enum.Parse<LoraBase>(args[++i], ignoreCase: true) },
                "--rounds" => settings with { Rounds = Number(args[++i]) },
                "--epochs" => settings with { Epochs = Number(args[++i]) },
                "--warmup" => settings with { Warmup = Number(args[++i]) },
                "--steps" => settings with { Steps = Number(args[++i]) },
                "--threads" => settings with { Threads = Number(args[++i]) },
                "--tiny" => settings with { Tiny = true },
                _ when args[i].StartsWith("--", StringComparison.Ordinal) => throw new ArgumentException($"Unknown option '{args[i]}'."),
                _ => settings with { Part = args[i] },
            };
        }
        return settings;
    }

    public IEnumerable<string> ChildArguments(string part, LoraBase kind)
    {
        string[] common = [part, "--base", kind.ToString(), "--epochs", Text(Epochs), "--warmup", Text(Warmup), "--steps", Text(Steps), "--threads", Text(Threads)];
        return Tiny ? [.. common, "--tiny"] : common;
    }

    private static int Number(string text) => int.Parse(text, CultureInfo.InvariantCulture);
    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
