namespace LoraSdk.Hosting;

/// <summary>How progress is shown.</summary>
public enum ProgressStyle
{
    /// <summary>A live line in a terminal; plain log lines and the build's machine lines (progress, evaluation, result) when output is redirected.</summary>
    Auto,
    /// <summary>One line redrawn in place, even when output is redirected.</summary>
    Live,
    /// <summary>A log line and a <c>lora-progress:</c> line per report, even in a terminal.</summary>
    Plain,
}
