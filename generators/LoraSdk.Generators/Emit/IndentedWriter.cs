using System;
using System.Text;

namespace LoraSdk.Generators.Emit;

/// <summary>A small text writer that keeps block indentation, so emitters read like the code they write.</summary>
internal sealed class IndentedWriter
{
    private const string IndentUnit = "    ";
    private readonly StringBuilder _text = new();
    private int _depth;

    public IndentedWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            for (int i = 0; i < _depth; i++) _text.Append(IndentUnit);
            _text.Append(line);
        }
        _text.Append('\n');
        return this;
    }

    /// <summary>Writes <paramref name="header"/> and an opening brace (or <paramref name="opening"/>); dispose the result to close the block.</summary>
    public IDisposable Block(string header, string closing = "}", string opening = "{")
    {
        Line(header);
        Line(opening);
        _depth++;
        return new Closer(this, closing);
    }

    public override string ToString() => _text.ToString();

    private sealed class Closer(IndentedWriter writer, string closing) : IDisposable
    {
        public void Dispose()
        {
            writer._depth--;
            writer.Line(closing);
        }
    }
}
