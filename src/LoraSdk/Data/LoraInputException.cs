namespace LoraSdk.Data;

/// <summary>
/// Bad input found before training starts: names the file, the line and column (1-based) and the problem,
/// and formats itself the MSBuild way (<c>file(line,col): error LORA2xx: message</c>).
/// </summary>
public sealed class LoraInputException : Exception
{
    public LoraInputException(string code, string file, int line, int column, string problem, Exception? inner = null)
        : base($"{file}({line},{column}): error {code}: {problem}", inner)
    {
        Code = code;
        File = file;
        Line = line;
        Column = column;
        Problem = problem;
    }

    public string Code { get; }
    public string File { get; }
    public int Line { get; }
    public int Column { get; }

    /// <summary>The message without the location and code.</summary>
    public string Problem { get; }

    /// <summary>The MSBuild canonical error line, e.g. <c>data/train.jsonl(3,9): error LORA201: invalid JSON ...</c>.</summary>
    public string CanonicalMessage => Message;
}
