namespace LoraSdk.Hosting;

/// <summary>How progress is shown.</summary>
public enum ProgressStyle
{
    /// <summary>A live line in a terminal; plain log lines and <c>lora-progress:</c> lines when output is redirected.</summary>
    Auto,
    Live,
    Plain,
}
