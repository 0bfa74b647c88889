using System.Collections;
using System.Collections.Concurrent;
using Microsoft.Build.Framework;

namespace LoraSdk.Build.Tests.FineTune;

/// <summary>An <see cref="IBuildEngine"/> that records what a task logs.</summary>
internal sealed class RecordingBuildEngine : IBuildEngine
{
    public ConcurrentQueue<BuildErrorEventArgs> Errors { get; } = new();
    public ConcurrentQueue<BuildWarningEventArgs> Warnings { get; } = new();
    public ConcurrentQueue<BuildMessageEventArgs> Messages { get; } = new();

    public bool ContinueOnError => false;
    public int LineNumberOfTaskNode => 0;
    public int ColumnNumberOfTaskNode => 0;
    public string ProjectFileOfTaskNode => "test.csproj";

    public void LogErrorEvent(BuildErrorEventArgs e) => Errors.Enqueue(e);
    public void LogWarningEvent(BuildWarningEventArgs e) => Warnings.Enqueue(e);
    public void LogMessageEvent(BuildMessageEventArgs e) => Messages.Enqueue(e);
    public void LogCustomEvent(CustomBuildEventArgs e) { }

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) => false;

    /// <summary>Messages logged at <paramref name="importance"/> that contain <paramref name="text"/>.</summary>
    public IEnumerable<string> MessagesAt(MessageImportance importance, string text) =>
        Messages.Where(m => m.Importance == importance && m.Message != null && m.Message.Contains(text)).Select(m => m.Message!);

    public string Log => string.Join("\n", Messages.Select(m => $"[{m.Importance}] {m.Message}")
        .Concat(Warnings.Select(w => $"[warning {w.Code}] {w.Message}"))
        .Concat(Errors.Select(e => $"[error {e.Code}] {e.File}({e.LineNumber},{e.ColumnNumber}) {e.Message}")));
}
