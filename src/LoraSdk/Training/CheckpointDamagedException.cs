namespace LoraSdk.Training;

/// <summary>A checkpoint that cannot be used: <see cref="File"/> names the culprit, <see cref="Problem"/> says what is wrong.</summary>
internal sealed class CheckpointDamagedException(string file, string problem, Exception? inner = null)
    : IOException($"{file}: {problem}", inner)
{
    public string File { get; } = file;

    public string Problem { get; } = problem;
}
