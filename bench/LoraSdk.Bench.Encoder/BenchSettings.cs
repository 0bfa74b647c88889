using System.Globalization;

namespace LoraSdk.Bench.Encoder;

/// <summary>Command-line settings; modest defaults because a 2-core machine runs them.</summary>
public sealed record BenchSettings(string? Part, string Implementation, int Threads, int Warmup, int Steps, int Runs, int Rounds, bool Tiny,
    string? PyTorchEnvironment)
{
    public static BenchSettings Parse(string[] args)
    {
        var settings = new BenchSettings(null, "sdk", Threads: 2, Warmup: 2, Steps: 5, Runs: 5, Rounds: 3, Tiny: false,
            PyTorchEnvironment: Path.Combine("..", "shared", "tools", "pytorch-env.sh"));
        for (int i = 0; i < args.Length; i++)
        {
            settings = args[i] switch
            {
                "--impl" => settings with { Implementation = args[++i] },
                "--threads" => settings with { Threads = Number(args[++i]) },
                "--warmup" => settings with { Warmup = Number(args[++i]) },
                "--steps" => settings with { Steps = Number(args[++i]) },
                "--runs" => settings with { Runs = Number(args[++i]) },
                "--rounds" => settings with { Rounds = Number(args[++i]) },
                "--tiny" => settings with { Tiny = true },
                "--pytorch-env" => settings with { PyTorchEnvironment = args[++i] },
                "--no-pytorch" => settings with { PyTorchEnvironment = null },
                _ when args[i].StartsWith("--", StringComparison.Ordinal) => throw new ArgumentException($"Unknown option '{args[i]}'."),
                _ => settings with { Part = args[i] },
            };
        }
        return settings;
    }

    /// <summary>The options a child process needs for one part (the same for the C# and the PyTorch children).</summary>
    public IEnumerable<string> ChildArguments(string part)
    {
        string[] common = [part, "--threads", Text(Threads), "--warmup", Text(Warmup), "--steps", Text(Steps), "--runs", Text(Runs)];
        return Tiny ? [.. common, "--tiny"] : common;
    }

    private static int Number(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
