namespace LoraSdk.Hosting;

/// <summary>How progress is shown.</summary>
public enum ProgressStyle
{
    /// <summary>A live line in a terminal; plain log lines and the build's machine lines (progress, evaluation, result) when output is redirected.</summary>
    Auto,
    Live,
    Plain,
}
