using System.Globalization;

namespace LoraSdk.Bench.Memory;

/// <summary>
/// The largest resident set size sampled in each window of steps (sampled after every step, so a sample just after
/// memory was returned flatters nothing), printed as each window closes, and the run's summary line.
/// </summary>
internal sealed class RssWindows(int window)
{
    private double _max;

    /// <summary>The largest RSS in MiB of each window, keyed by the window's last step.</summary>
    public Dictionary<int, double> WindowMax { get; } = [];

    public void Sample(int step, int totalSteps, string note)
    {
        _max = Math.Max(_max, ResidentMemory.Mebibytes());
        if (step % window != 0 && step != totalSteps) return;
        WindowMax[step] = _max;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, step - window + 1),4}-{step,-4}  {_max,9:0.0}  {note}"));
        _max = 0;
    }

    /// <summary>The start of the machine-readable last line: ms/step, peak RSS MiB, growth %, primed (1/0).</summary>
    public const string ResultPrefix = "result: ";

    /// <summary>Growth from the first window (warm-up) to the last, the peak (VmHWM) and the time per step.</summary>
    public string Summary(int steps, double seconds)
    {
        int firstWindow = WindowMax.Keys.Min();
        double first = WindowMax[firstWindow], last = WindowMax[steps];
        return string.Create(CultureInfo.InvariantCulture,
            $"max RSS in steps 1-{firstWindow}: {first:0.0} MiB, in the last window: {last:0.0} MiB, growth {Growth(steps):+0.0;-0.0} %, peak RSS (VmHWM) {ResidentMemory.PeakMebibytes():0.0} MiB, {seconds:0.0} s ({1000 * seconds / steps:0.0} ms/step)");
    }

    /// <summary>The same figures for a parent process (<see cref="PrimingComparison"/>), with whether glibc's threshold was primed.</summary>
    public string ResultLine(int steps, double seconds, bool primed) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{ResultPrefix}{1000 * seconds / steps:0.000} {ResidentMemory.PeakMebibytes():0.0} {Growth(steps):0.00} {(primed ? 1 : 0)}");

    private double Growth(int steps)
    {
        double first = WindowMax[WindowMax.Keys.Min()], last = WindowMax[steps];
        return 100 * (last - first) / first;
    }
}
