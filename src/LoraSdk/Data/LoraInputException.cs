namespace LoraSdk.Data;

/// <summary>
/// Bad input found before training starts: names the file, the line and column (1-based) and the problem,
/// and formats itself the MSBuild way (<c>file(line,col): error LORA2xx: message</c>).
/// </summary>
public sealed class LoraInputException : Exception
{
    /// <summary>A problem at <paramref name="file"/>(<paramref name="line"/>,<paramref name="column"/>), reported with its LORA2xx <paramref name="code"/>.</summary>
    /// <param name="code">The LORA2xx code (<see cref="LoraErrorCodes"/>).</param>
    /// <param name="file">The input file.</param>
    /// <param name="line">1-based line.</param>
    /// <param name="column">1-based column.</param>
    /// <param name="problem">What is wrong and how to fix it.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public LoraInputException(string code, string file, int line, int column, string problem, Exception? inner = null)
        : base($"{file}({line},{column}): error {code}: {problem}", inner)
    {
        Code = code;
        File = file;
        Line = line;
        Column = column;
        Problem = problem;
    }

    /// <summary>The LORA2xx code.</summary>
    public string Code { get; }
    /// <summary>The input file at fault.</summary>
    public string File { get; }
    /// <summary>1-based line.</summary>
    public int Line { get; }
    /// <summary>1-based column.</summary>
    public int Column { get; }

    /// <summary>The message without the location and code.</summary>
    public string Problem { get; }

    /// <summary>The MSBuild canonical error line, e.g. <c>data/train.jsonl(3,9): error LORA201: invalid JSON ...</c>.</summary>
    public string CanonicalMessage => Message;
}
