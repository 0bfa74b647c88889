using System.Diagnostics;
using System.Globalization;
using LoraSdk.Native;

namespace LoraSdk.Bench.Memory;

/// <summary>
/// <c>--ab-prime --rounds N</c>: the same run in child processes with glibc's mmap threshold primed (A, the default)
/// and unprimed (B, <c>LORASDK_MALLOC_PRIME=0</c>), alternating A B B A A B …, so load drift hits both alike.
/// Prints each child's ms/step, RSS growth and peak RSS, then the medians and the ratio primed / unprimed.
/// </summary>
internal static class PrimingComparison
{
    public sealed record Child(bool Primed, double MillisecondsPerStep, double PeakMebibytes, double GrowthPercent, double FaultsPerStep);

    public static int Run(string[] args, int rounds)
    {
        // Everything but the comparison's own options goes to each child.
        var childArgs = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--ab-prime") continue;
            if (args[i] == "--rounds") { i++; continue; }
            childArgs.Add(args[i]);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"A = primed (default), B = unprimed ({MallocThreshold.OptOutVariable}=0); {rounds} rounds of A B / B A; child arguments: {string.Join(' ', childArgs)}; load average {ProcessCounters.LoadAverage()}"));
        Console.WriteLine("| round | run | ms/step | RSS growth | peak RSS | minor faults/step |");
        Console.WriteLine("| ---: | --- | ---: | ---: | ---: | ---: |");
        var children = new List<Child>();
        var pairRatios = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            bool[] order = round % 2 == 0 ? [true, false] : [false, true];
            var pair = new Dictionary<bool, Child>();
            foreach (bool primed in order)
            {
                var child = RunChild(childArgs, primed);
                pair[primed] = child;
                children.Add(child);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {round + 1} | {(primed ? "A, primed" : "B, unprimed")} | {child.MillisecondsPerStep:0.00} | {child.GrowthPercent:+0.0;-0.0} % | {child.PeakMebibytes:0.0} MiB | {child.FaultsPerStep:0.0} |"));
            }
            pairRatios.Add(pair[true].MillisecondsPerStep / pair[false].MillisecondsPerStep);
        }
        double Median(bool primed, Func<Child, double> field) => MedianOf(children.Where(c => c.Primed == primed).Select(field));
        double a = Median(true, c => c.MillisecondsPerStep), b = Median(false, c => c.MillisecondsPerStep);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median ms/step: primed {a:0.00}, unprimed {b:0.00}, primed / unprimed {a / b:0.000}× (per round: {string.Join(", ", pairRatios.Select(r => r.ToString("0.000", CultureInfo.InvariantCulture)))}); " +
            $"median peak RSS: primed {Median(true, c => c.PeakMebibytes):0.0} MiB, unprimed {Median(false, c => c.PeakMebibytes):0.0} MiB; load average at the end {ProcessCounters.LoadAverage()}"));
        return 0;
    }

    private static Child RunChild(IReadOnlyList<string> childArgs, bool primed)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") start.ArgumentList.Add(typeof(PrimingComparison).Assembly.Location);
        foreach (var argument in childArgs) start.ArgumentList.Add(argument);
        if (primed) start.Environment.Remove(MallocThreshold.OptOutVariable);
        else start.Environment[MallocThreshold.OptOutVariable] = "0";
        using var process = Process.Start(start)!;
        string? line, result = null;
        while ((line = process.StandardOutput.ReadLine()) is not null)
        {
            if (line.StartsWith(RssWindows.ResultPrefix, StringComparison.Ordinal)) result = line[RssWindows.ResultPrefix.Length..];
        }
        process.WaitForExit();
        if (process.ExitCode != 0 || result is null) throw new InvalidOperationException($"The {(primed ? "primed" : "unprimed")} child failed (exit code {process.ExitCode}).");
        var fields = result.Split(' ').Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        bool reportedPrimed = fields[3] != 0;
        if (!primed && reportedPrimed) throw new InvalidOperationException($"The child run with {MallocThreshold.OptOutVariable}=0 reported a primed threshold.");
        // Off glibc (musl, macOS, Windows) priming is a no-op, and A and B are the same run.
        if (primed && !reportedPrimed) Console.WriteLine("(this child could not prime: not glibc, so A and B do the same)");
        return new Child(primed, fields[0], fields[1], fields[2], fields[4]);
    }

    private static double MedianOf(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        int half = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
    }

}
