// The one definition of the [LoRA] hyper-parameters' defaults and validity. Linked as source into the runtime
// (LoraSdk: LoRAAttribute, LoraOptions, LoraOptionsOverride and so the LoRA configuration section) and into the
// source generator (netstandard2.0, which must not reference the runtime), so it uses only what both have: no
// file-scoped namespace, no records, nothing from either side's libraries. Each side reports a broken rule in its
// own terms with the requirement text given here: the generator as LORA003/LORA005 at the attribute argument,
// LoraOptions as an ArgumentOutOfRangeException naming the parameter, the fine-tuning host as a LORA210 line
// naming the configuration key.
using System;
using System.Collections.Generic;

namespace LoraSdk.Shared
{
    /// <summary>Defaults and validity rules of the adapter options (rank, alpha, dropout, rsLoRA, init).</summary>
    internal static class LoraOptionRules
    {
        // The option names, as the runtime's properties and the attribute's named arguments spell them.
        public const string Rank = "Rank";
        public const string Alpha = "Alpha";
        public const string Dropout = "Dropout";
        public const string UseRsLoRA = "UseRsLoRA";
        public const string Init = "Init";
        public const string Base = "Base";
        public const string UseDoRA = "UseDoRA";

        /// <summary>The dropout when none is given: none.</summary>
        public const double DefaultDropout = 0;

        /// <summary>Scaling alpha / r unless rsLoRA is asked for.</summary>
        public const bool DefaultUseRsLoRA = false;

        /// <summary>Plain LoRA unless DoRA (weight-decomposed LoRA, PEFT's <c>use_dora</c>) is asked for.</summary>
        public const bool DefaultUseDoRA = false;

        /// <summary>The name of the <c>LoraInit</c> member used when none is given (PEFT's default init).</summary>
        public const string DefaultInit = "Kaiming";

        /// <summary>The name of the <c>LoraBase</c> member used when none is given: the layer's own float weight.</summary>
        public const string DefaultBase = "Float32";

        /// <summary>The rank of the fine-tuning host's adapters when <c>LoRA:Rank</c> is not set.</summary>
        public const int DefaultRank = 8;

        /// <summary>lora_alpha when none is given: the rank, so the scaling alpha / r is 1.</summary>
        public static double DefaultAlpha(int rank) => rank;

        // What each value must be, completing "... must be ___".
        public const string RankRequirement = "greater than 0";
        public const string AlphaRequirement = "a finite number greater than 0";
        public const string DropoutRequirement = "in [0, 1)";

        public static bool IsValidRank(int rank) => rank > 0;

        public static bool IsValidAlpha(double alpha) => alpha > 0 && !double.IsInfinity(alpha); // NaN fails "> 0"

        public static bool IsValidDropout(double dropout) => dropout >= 0 && dropout < 1;

        /// <summary>
        /// Each value that breaks its rule, as (option name, value, requirement); a null value is not set and
        /// not checked.
        /// </summary>
        public static IEnumerable<(string Option, object Value, string Requirement)> Problems(int? rank, double? alpha, double? dropout)
        {
            if (rank.HasValue && !IsValidRank(rank.Value)) yield return (Rank, rank.Value, RankRequirement);
            if (alpha.HasValue && !IsValidAlpha(alpha.Value)) yield return (Alpha, alpha.Value, AlphaRequirement);
            if (dropout.HasValue && !IsValidDropout(dropout.Value)) yield return (Dropout, dropout.Value, DropoutRequirement);
        }
    }
}
