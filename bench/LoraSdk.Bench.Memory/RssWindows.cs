using System.Globalization;

namespace LoraSdk.Bench.Memory;

/// <summary>
/// The largest resident set size sampled in each window of steps (sampled after every step, so a sample just after
/// memory was returned flatters nothing) and the minor page faults per step of each window (fresh pages from the
/// kernel: a heap that glibc gives back and the next step faults in again shows here as thousands per step, whatever
/// the machine's load), printed as each window closes, and the run's summary line.
/// </summary>
internal sealed class RssWindows(int window)
{
    private double _max;
    private long _windowStartFaults = ProcessCounters.MinorFaults(), _steadyStartFaults = -1;
    private int _windowStartStep, _steadyStartStep;

    /// <summary>The largest RSS in MiB of each window, keyed by the window's last step.</summary>
    public Dictionary<int, double> WindowMax { get; } = [];

    public void Sample(int step, int totalSteps, string note)
    {
        _max = Math.Max(_max, ResidentMemory.Mebibytes());
        if (step % window != 0 && step != totalSteps) return;
        WindowMax[step] = _max;
        long faults = ProcessCounters.MinorFaults();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Math.Max(1, step - window + 1),4}-{step,-4}  {_max,9:0.0}  {(faults - _windowStartFaults) / (double)(step - _windowStartStep),10:0.0}  {note}"));
        if (_steadyStartFaults < 0) (_steadyStartFaults, _steadyStartStep) = (faults, step);
        (_max, _windowStartFaults, _windowStartStep) = (0, faults, step);
    }

    /// <summary>Minor faults per step after the first window (warm-up); the whole run's when it is one window.</summary>
    private double SteadyFaultsPerStep(int steps) =>
        steps > _steadyStartStep
            ? (ProcessCounters.MinorFaults() - _steadyStartFaults) / (double)(steps - _steadyStartStep)
            : ProcessCounters.MinorFaults() / (double)steps;

    /// <summary>The start of the machine-readable last line: ms/step, peak RSS MiB, growth %, primed (1/0), minor faults/step after warm-up.</summary>
    public const string ResultPrefix = "result: ";

    /// <summary>Growth from the first window (warm-up) to the last, the peak (VmHWM) and the time per step.</summary>
    public string Summary(int steps, double seconds)
    {
        int firstWindow = WindowMax.Keys.Min();
        double first = WindowMax[firstWindow], last = WindowMax[steps];
        return string.Create(CultureInfo.InvariantCulture,
            $"max RSS in steps 1-{firstWindow}: {first:0.0} MiB, in the last window: {last:0.0} MiB, growth {Growth(steps):+0.0;-0.0} %, peak RSS (VmHWM) {ResidentMemory.PeakMebibytes():0.0} MiB, " +
            $"minor faults per step after the first window {SteadyFaultsPerStep(steps):0.0}, {seconds:0.0} s ({1000 * seconds / steps:0.0} ms/step)");
    }

    /// <summary>The same figures for a parent process (<see cref="PrimingComparison"/>), with whether glibc's threshold was primed.</summary>
    public string ResultLine(int steps, double seconds, bool primed) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{ResultPrefix}{1000 * seconds / steps:0.000} {ResidentMemory.PeakMebibytes():0.0} {Growth(steps):0.00} {(primed ? 1 : 0)} {SteadyFaultsPerStep(steps):0.0}");

    private double Growth(int steps)
    {
        double first = WindowMax[WindowMax.Keys.Min()], last = WindowMax[steps];
        return 100 * (last - first) / first;
    }
}
