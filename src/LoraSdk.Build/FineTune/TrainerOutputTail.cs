using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace LoraSdk.Build.FineTune
{
    /// <summary>
    /// The trainer's last output lines, so that the error for a failed run can quote what the program said
    /// (an unhandled exception, libtorch's <c>terminate called … what(): …</c>): at minimal verbosity MSBuild
    /// shows none of the program's ordinary output.
    /// </summary>
    internal sealed class TrainerOutputTail
    {
        private const int Kept = 40;
        private const int Quoted = 4;
        private const int MaxLineLength = 300;

        private static readonly Regex ErrorLike = new Regex(
            @"error|exception|fail|fatal|terminate|what\(\)|abort|denied|not found|cannot|unhandled",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        private static readonly Regex StackFrame = new Regex(@"^\s+at\s", RegexOptions.CultureInvariant);

        private readonly Queue<string> _lines = new Queue<string>();
        private readonly object _gate = new object();

        public void Add(string line)
        {
            if (string.IsNullOrWhiteSpace(line) || StackFrame.IsMatch(line)) return;
            lock (_gate)
            {
                _lines.Enqueue(line.Length > MaxLineLength ? line.Substring(0, MaxLineLength) + "…" : line.Trim());
                if (_lines.Count > Kept) _lines.Dequeue();
            }
        }

        /// <summary>": " and the error-like lines among the last ones (else the last lines), or "." when it printed nothing.</summary>
        public string Describe()
        {
            List<string> lines;
            lock (_gate) lines = _lines.ToList();
            if (lines.Count == 0) return " and printed nothing.";
            var errors = lines.Where(l => ErrorLike.IsMatch(l)).ToList();
            var pool = errors.Count > 0 ? errors : lines;
            var quoted = pool.Skip(Math.Max(0, pool.Count - Quoted));
            return ":" + string.Concat(quoted.Select(l => Environment.NewLine + "  " + l));
        }
    }
}
