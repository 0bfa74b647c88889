namespace LoraSdk.Search;

/// <summary>
/// A trial process killed from outside (SIGKILL from the out-of-memory killer or a CI timeout, SIGTERM, SIGHUP, ...)
/// before it wrote its result. It did not fail: its settings are not at fault, so it is not recorded; the search
/// stops without a winner, and the next run trains the trial again from its candidate's checkpoint.
/// </summary>
internal sealed class TrialInterruptedException(TrialRequest request, int signal, string log)
    : Exception($"Trial {request.Candidate.Label}, {request.Steps} steps was killed by signal {signal} ({SignalName(signal)}) before it finished " +
        $"(the out-of-memory killer, a timeout or a kill from outside; log: {log})")
{
    /// <summary>The trial that was killed.</summary>
    public TrialRequest Request { get; } = request;

    /// <summary>The signal that ended the trial's process.</summary>
    public int Signal { get; } = signal;

    /// <summary>
    /// The signal sent from outside that ended a process with <paramref name="exitCode"/> (128 + n, as the runtime
    /// reports a process a signal ended; negative where it gives the signal so), or null. A crash signal the process
    /// raised itself (SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL: libtorch aborting, a bad access) is a failure, not an
    /// interruption: rerunning would crash again.
    /// </summary>
    public static int? ExternalSignal(int exitCode)
    {
        int signal = exitCode < 0 ? -exitCode : exitCode - 128;
        return signal is 1 or 2 or 3 or 9 or 14 or 15 or 24 or 25 ? signal : null;
    }

    private static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        9 => "SIGKILL",
        14 => "SIGALRM",
        15 => "SIGTERM",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        _ => "signal",
    };
}
