using System.Globalization;
using Microsoft.CodeAnalysis.CSharp;

namespace LoraSdk.Generators.Emit;

/// <summary>Formats values as C# source text.</summary>
internal static class CSharpLiterals
{
    /// <summary>A double literal that round-trips exactly (e.g. <c>2.0</c>, <c>0.05</c>, <c>1E-05</c>).</summary>
    public static string Double(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.IndexOfAny(['.', 'E', 'e']) < 0 ? text + ".0" : text;
    }

    public static string Bool(bool value) => value ? "true" : "false";

    public static string String(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

    /// <summary>An identifier, escaped with <c>@</c> when it is a keyword.</summary>
    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
