using System.Text.RegularExpressions;

namespace LoraSdk.Build.FineTune
{
    /// <summary>
    /// An error or warning the trainer printed in MSBuild's canonical format,
    /// <c>file(line,col): error LORA201: message</c> (position and file optional).
    /// </summary>
    internal sealed class TrainerDiagnostic
    {
        private static readonly Regex Canonical = new Regex(
            @"^\s*(?:(?<file>[^\s(].*?)(?:\((?<line>\d+)(?:,(?<col>\d+))?\))?\s*:\s*)?" +
            @"(?<severity>error|warning)\s+(?<code>[A-Za-z]+\d+)\s*:\s*(?<message>.*)$",
            RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

        public bool IsError { get; private set; }
        public string Code { get; private set; } = "";
        public string? File { get; private set; }
        public int Line { get; private set; }
        public int Column { get; private set; }
        public string Message { get; private set; } = "";

        /// <summary>Parses <paramref name="line"/>; null when it is not a canonical error or warning.</summary>
        public static TrainerDiagnostic? TryParse(string line)
        {
            Match m = Canonical.Match(line);
            if (!m.Success) return null;
            return new TrainerDiagnostic
            {
                IsError = string.Equals(m.Groups["severity"].Value, "error", System.StringComparison.OrdinalIgnoreCase),
                Code = m.Groups["code"].Value,
                File = m.Groups["file"].Success ? m.Groups["file"].Value.Trim() : null,
                Line = m.Groups["line"].Success ? int.Parse(m.Groups["line"].Value) : 0,
                Column = m.Groups["col"].Success ? int.Parse(m.Groups["col"].Value) : 0,
                Message = m.Groups["message"].Value.Trim(),
            };
        }
    }
}
