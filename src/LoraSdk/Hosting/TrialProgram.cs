using System.Diagnostics;
using System.Reflection;

namespace LoraSdk.Hosting;

/// <summary>
/// How to start this program again for one trial: the same executable (or <c>dotnet</c> and the entry assembly)
/// with the <c>train</c> command, as the build starts it.
/// </summary>
internal sealed record TrialProgram(string FileName, IReadOnlyList<string> Arguments, string WorkingDirectory)
{
    /// <summary>The program command a trial runs (the one the build step runs).</summary>
    public const string TrainCommand = "train";

    /// <summary>This process's program: its executable, or <c>dotnet</c> and the entry assembly.</summary>
    public static TrialProgram Current()
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("The program's own path is unknown: trials cannot be started.");
        var arguments = new List<string>();
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            arguments.Add(Assembly.GetEntryAssembly()?.Location is { Length: > 0 } entry ? entry
                : throw new InvalidOperationException("The entry assembly's path is unknown: trials cannot be started."));
        arguments.Add(TrainCommand);
        return new TrialProgram(host, arguments, Environment.CurrentDirectory);
    }

    /// <summary>A start description with the program's arguments followed by <paramref name="moreArguments"/>, output redirected.</summary>
    public ProcessStartInfo StartInfo(IEnumerable<string> moreArguments)
    {
        var start = new ProcessStartInfo(FileName)
        {
            WorkingDirectory = WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in Arguments.Concat(moreArguments)) start.ArgumentList.Add(argument);
        return start;
    }
}
