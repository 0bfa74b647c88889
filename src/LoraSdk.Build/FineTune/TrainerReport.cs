using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using LoraSdk.Shared;
using F = LoraSdk.Shared.FineTuneContract.Fields;

namespace LoraSdk.Build.FineTune
{
    /// <summary>
    /// One of the trainer's machine-readable stdout lines (<see cref="FineTuneContract.Lines"/>): progress, an
    /// evaluation or the result, each <c>&lt;prefix&gt; {json}</c>, and the build message it becomes.
    /// </summary>
    internal sealed class TrainerReport
    {
        private readonly Dictionary<string, object?> _fields;

        private TrainerReport(string prefix, Dictionary<string, object?> fields)
        {
            Prefix = prefix;
            _fields = fields;
        }

        /// <summary>The line's kind: one of <see cref="FineTuneContract.Lines.All"/>.</summary>
        public string Prefix { get; }

        public FineTuneContract.Visibility Visibility => FineTuneContract.Lines.VisibilityOf(Prefix);

        /// <summary>Parses a report line; null for any other line, <see cref="FormatException"/> for a report with bad JSON.</summary>
        public static TrainerReport? TryParse(string line)
        {
            if (!FineTuneContract.Lines.TrySplit(line, out string prefix, out string json)) return null;
            if (!(JsonReader.Parse(json) is Dictionary<string, object?> fields))
                throw new FormatException("expected a JSON object");
            return new TrainerReport(prefix, fields);
        }

        public double? Number(string key) => _fields.TryGetValue(key, out object? v) && v is double d ? d : (double?)null;

        public string? Text(string key) => _fields.TryGetValue(key, out object? v) ? v as string : null;

        public bool Flag(string key) => _fields.TryGetValue(key, out object? v) && v is bool b && b;

        public long Step => (long)(Number(F.Step) ?? 0);

        public long TotalSteps => (long)(Number(F.TotalSteps) ?? 0);

        /// <summary>The build message for this line, for the item <paramref name="name"/>.</summary>
        public string Format(string name) =>
            Prefix == FineTuneContract.Lines.Result ? FormatResult(name)
            : Prefix == FineTuneContract.Lines.Evaluation ? FormatEvaluation(name)
            : FormatProgress(name);

        /// <summary>e.g. <c>intents: step 20/200 (epoch 1), loss 2.3141, lr 9.00e-04, 5.2 steps/s, validation loss 2.1</c>.</summary>
        private string FormatProgress(string name)
        {
            var sb = new StringBuilder();
            sb.Append(name).Append(": step ").Append(Step);
            if (TotalSteps > 0) sb.Append('/').Append(TotalSteps);
            AppendIf(sb, " (epoch {0})", Number(F.Epoch), "0");
            AppendIf(sb, ", loss {0}", Number(F.Loss), "0.0000");
            AppendIf(sb, ", lr {0}", Number(F.LearningRate), "0.00e+00");
            AppendIf(sb, ", {0} steps/s", Number(F.StepsPerSecond), "0.0");
            AppendIf(sb, ", validation loss {0}", Number(F.ValidationLoss), "0.0000");
            return sb.ToString();
        }

        /// <summary>e.g. <c>intents: step 20: validation loss 0.5123, accuracy 91.0 % (best so far)</c>.</summary>
        private string FormatEvaluation(string name)
        {
            var sb = new StringBuilder();
            sb.Append(name).Append(": step ").Append(Step).Append(':');
            AppendIf(sb, " validation loss {0}", Number(F.ValidationLoss), "0.0000");
            AppendPercentIf(sb, ", accuracy {0} %", Number(F.ValidationAccuracy));
            if (Flag(F.Best)) sb.Append(" (best so far)");
            return sb.ToString();
        }

        /// <summary>e.g. <c>intents: adapter written to obj/lora/intents in 12.3 s (train loss 0.41, validation accuracy 91.0 % (base model 40.0 %))</c>.</summary>
        private string FormatResult(string name)
        {
            var sb = new StringBuilder();
            sb.Append(name).Append(": adapter written to ").Append(Text(F.Adapter) ?? "(unknown folder)");
            AppendIf(sb, " in {0} s", Number(F.Seconds), "0.0");
            var details = new List<string>();
            var part = new StringBuilder();
            AppendIf(part, "train loss {0}", Number(F.TrainLoss), "0.0000");
            if (part.Length > 0) details.Add(part.ToString());
            part.Clear();
            AppendIf(part, "validation loss {0}", Number(F.ValidationLoss), "0.0000");
            if (part.Length > 0) details.Add(part.ToString());
            part.Clear();
            AppendPercentIf(part, "validation accuracy {0} %", Number(F.ValidationAccuracy));
            if (part.Length > 0)
            {
                AppendPercentIf(part, " (base model {0} %)", Number(F.BaselineValidationAccuracy));
                details.Add(part.ToString());
            }
            if (details.Count > 0) sb.Append(" (").Append(string.Join(", ", details)).Append(')');
            // A search (docs/search.md) adds its winner and the report that shows every trial.
            if (Text("winner") is string winner)
            {
                sb.Append("; search winner ").Append(winner).Append(" of ").Append(Number("trials") ?? 0).Append(" trials, report: ").Append(Text("search"));
                if (Flag("configured")) sb.Append(" (the configured settings: no candidate beat them)");
            }
            return sb.ToString();
        }

        private static void AppendIf(StringBuilder sb, string format, double? value, string numberFormat)
        {
            if (value.HasValue) sb.Append(string.Format(CultureInfo.InvariantCulture, format, value.Value.ToString(numberFormat, CultureInfo.InvariantCulture)));
        }

        private static void AppendPercentIf(StringBuilder sb, string format, double? fraction) =>
            AppendIf(sb, format, fraction * 100, "0.0");
    }
}
