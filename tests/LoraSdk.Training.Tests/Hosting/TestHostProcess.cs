using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace LoraSdk.Training.Tests.Hosting;

/// <summary>Runs LoraSdk.Training.TestHost (or another program copied next to the tests) as a child process, the way the build step does.</summary>
public sealed class TestHostProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly StringBuilder _stderr = new();
    private readonly object _gate = new();

    public TestHostProcess(string workingDirectory, IEnumerable<string> arguments, int stepDelayMs = 0, string program = "LoraSdk.Training.TestHost.dll")
    {
        var host = Path.Combine(AppContext.BaseDirectory, program);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(host);
        start.ArgumentList.Add("train");
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["LORA_TESTHOST_STEP_DELAY_MS"] = stepDelayMs.ToString();
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_gate) _stdout.Add(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_gate) _stderr.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public IReadOnlyList<string> Stdout { get { lock (_gate) return _stdout.ToList(); } }

    public string Stderr { get { lock (_gate) return _stderr.ToString(); } }

    public string Transcript => string.Join('\n', Stdout) + "\n--- stderr ---\n" + Stderr;

    /// <summary>Waits until a stdout line satisfies <paramref name="predicate"/>; false if the process ended or time ran out first.</summary>
    public bool WaitForLine(Func<string, bool> predicate, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Stdout.Any(predicate)) return true;
            if (_process.HasExited) return Stdout.Any(predicate);
            Thread.Sleep(20);
        }
        return false;
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The test host did not exit within {timeout}.\n{Transcript}");
        }
        _process.WaitForExit(); // drains the redirected streams
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as a service manager or the build's cancellation does.</summary>
    public void Terminate()
    {
        if (kill(_process.Id, SigTerm) != 0) throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}.");
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to this host's child processes whose command line contains
    /// <paramref name="argument"/> (Linux: read from /proc), as the OOM killer or a CI timeout ends only them; how many.
    /// </summary>
    public int SignalChildren(int signal, string argument)
    {
        int sent = 0;
        foreach (string entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out int pid)) continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(entry, "stat"));
                // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) != _process.Id) continue;
                if (!File.ReadAllText(Path.Combine(entry, "cmdline")).Split('\0').Any(a => a.Contains(argument, StringComparison.Ordinal))) continue;
            }
            catch (IOException)
            {
                continue; // the process ended meanwhile
            }
            if (kill(pid, signal) == 0) sent++;
        }
        return sent;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    private const int SigTerm = 15;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
