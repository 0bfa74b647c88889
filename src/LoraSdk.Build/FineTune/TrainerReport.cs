using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace LoraSdk.Build.FineTune
{
    /// <summary>
    /// The trainer's machine-readable stdout lines (the training/build contract):
    /// <c>lora-progress: {json}</c> once per logged step and <c>lora-result: {json}</c> at the end.
    /// </summary>
    internal sealed class TrainerReport
    {
        public const string ProgressPrefix = "lora-progress:";
        public const string ResultPrefix = "lora-result:";

        private readonly Dictionary<string, object?> _fields;

        private TrainerReport(bool isResult, Dictionary<string, object?> fields)
        {
            IsResult = isResult;
            _fields = fields;
        }

        public bool IsResult { get; }

        /// <summary>Parses a report line; null for any other line, <see cref="FormatException"/> for a report with bad JSON.</summary>
        public static TrainerReport? TryParse(string line)
        {
            string trimmed = line.TrimStart();
            bool isResult = trimmed.StartsWith(ResultPrefix, StringComparison.Ordinal);
            if (!isResult && !trimmed.StartsWith(ProgressPrefix, StringComparison.Ordinal)) return null;
            string json = trimmed.Substring(isResult ? ResultPrefix.Length : ProgressPrefix.Length);
            if (!(JsonReader.Parse(json) is Dictionary<string, object?> fields))
                throw new FormatException("expected a JSON object");
            return new TrainerReport(isResult, fields);
        }

        public double? Number(string key) => _fields.TryGetValue(key, out object? v) && v is double d ? d : (double?)null;

        public string? Text(string key) => _fields.TryGetValue(key, out object? v) ? v as string : null;

        public long Step => (long)(Number("step") ?? 0);

        public long TotalSteps => (long)(Number("totalSteps") ?? 0);

        /// <summary>e.g. <c>intents: step 20/200 (epoch 1), loss 2.3141, lr 9.00e-04, 5.2 steps/s, validation loss 2.1</c>.</summary>
        public string FormatProgress(string name)
        {
            var sb = new StringBuilder();
            sb.Append(name).Append(": step ").Append(Step);
            if (TotalSteps > 0) sb.Append('/').Append(TotalSteps);
            AppendIf(sb, " (epoch {0})", Number("epoch"), "0");
            AppendIf(sb, ", loss {0}", Number("loss"), "0.0000");
            AppendIf(sb, ", lr {0}", Number("learningRate"), "0.00e+00");
            AppendIf(sb, ", {0} steps/s", Number("stepsPerSecond"), "0.0");
            AppendIf(sb, ", validation loss {0}", Number("validationLoss"), "0.0000");
            return sb.ToString();
        }

        /// <summary>e.g. <c>intents: adapter written to obj/lora/intents in 12.3 s (train loss 0.41, validation accuracy 91.0 % vs 40.0 % before)</c>.</summary>
        public string FormatResult(string name)
        {
            var sb = new StringBuilder();
            sb.Append(name).Append(": adapter written to ").Append(Text("adapter") ?? "(unknown folder)");
            AppendIf(sb, " in {0} s", Number("seconds"), "0.0");
            var details = new List<string>();
            AddIf(details, "train loss {0}", Number("trainLoss"), "0.0000");
            AddIf(details, "validation loss {0}", Number("validationLoss"), "0.0000");
            double? accuracy = Number("validationAccuracy");
            double? baseline = Number("baselineValidationAccuracy");
            if (accuracy.HasValue)
            {
                string text = string.Format(CultureInfo.InvariantCulture, "validation accuracy {0:0.0} %", accuracy.Value * 100);
                if (baseline.HasValue) text += string.Format(CultureInfo.InvariantCulture, " (base model {0:0.0} %)", baseline.Value * 100);
                details.Add(text);
            }
            if (details.Count > 0) sb.Append(" (").Append(string.Join(", ", details)).Append(')');
            // A search (docs/search.md) adds its winner and the report that shows every trial.
            if (Text("winner") is string winner)
                sb.Append("; search winner ").Append(winner).Append(" of ").Append(Number("trials") ?? 0).Append(" trials, report: ").Append(Text("search"));
            return sb.ToString();
        }

        private static void AppendIf(StringBuilder sb, string format, double? value, string numberFormat)
        {
            if (value.HasValue) sb.Append(string.Format(CultureInfo.InvariantCulture, format, value.Value.ToString(numberFormat, CultureInfo.InvariantCulture)));
        }

        private static void AddIf(List<string> parts, string format, double? value, string numberFormat)
        {
            if (value.HasValue) parts.Add(string.Format(CultureInfo.InvariantCulture, format, value.Value.ToString(numberFormat, CultureInfo.InvariantCulture)));
        }
    }
}
