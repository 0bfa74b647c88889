namespace LoraSdk.Training;

/// <summary>
/// Steps per second over the last <c>span</c> steps (about one epoch) of wall time, for progress and ETA.
/// A shorter window misleads: an epoch's last micro-batch is often partial (a few examples), so a one-step
/// window around it read 1000+ steps/s, and the window after an evaluation read far too slow. Over an
/// epoch every kind of step (and the evaluations between them) counts in proportion. Times come from one
/// clock that is never restarted, so consecutive windows add up to the wall time, reporting included.
/// </summary>
internal sealed class StepRateWindow
{
    private readonly int _span;
    private readonly Queue<(int Step, double Seconds)> _later = new();
    private (int Step, double Seconds) _start;

    /// <param name="span">Steps the window should cover once that many have run (at least 1).</param>
    /// <param name="step">The step training starts from (non-zero when resumed).</param>
    /// <param name="seconds">The clock's reading at that start.</param>
    public StepRateWindow(int span, int step, double seconds)
    {
        _span = Math.Max(1, span);
        _start = (step, seconds);
    }

    /// <summary>Records that <paramref name="step"/> finished at <paramref name="seconds"/>; returns the rate over the window ending there.</summary>
    public double Record(int step, double seconds)
    {
        // Move the start forward while a later mark still leaves at least a full span behind this step.
        while (_later.Count > 0 && step - _later.Peek().Step >= _span) _start = _later.Dequeue();
        double rate = (step - _start.Step) / Math.Max(seconds - _start.Seconds, 1e-9);
        _later.Enqueue((step, seconds));
        return rate;
    }
}
