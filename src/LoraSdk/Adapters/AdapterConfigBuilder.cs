namespace LoraSdk;

/// <summary>
/// Describes a model's adapters the way PEFT's config does: the most common rank and alpha become
/// <c>r</c>/<c>lora_alpha</c>, every target that differs goes into <c>rank_pattern</c>/<c>alpha_pattern</c>
/// under its path. Settings PEFT keeps global (rsLoRA, PiSSA) must agree across targets.
/// </summary>
internal static class AdapterConfigBuilder
{
    public static AdapterConfig Build(IReadOnlyList<(string Path, LoraAdapter Adapter)> adapters, IReadOnlyList<string> modulesToSave, AdapterSaveOptions options)
    {
        RequireUniform(adapters, a => a.Options.UseRsLoRA, "use_rslora");
        RequireUniform(adapters, a => a.Options.Init == LoraInit.PiSSA, "PiSSA initialisation (init_lora_weights)");
        RequireUniform(adapters, a => a.Options.UseDoRA, "use_dora");

        int rank = MostCommon(adapters.Select(a => a.Adapter.Rank));
        double alpha = MostCommon(adapters.Select(a => a.Adapter.Options.Alpha));
        var paths = adapters.Select(a => a.Path).ToList();
        var rankPattern = new Dictionary<string, int>();
        var alphaPattern = new Dictionary<string, double>();
        foreach (var (path, adapter) in adapters)
        {
            if (adapter.Rank != rank) rankPattern[PeftPattern.KeyFor(path, paths)] = adapter.Rank;
            if (adapter.Options.Alpha != alpha) alphaPattern[PeftPattern.KeyFor(path, paths)] = adapter.Options.Alpha;
        }

        return new AdapterConfig
        {
            TaskType = options.TaskType,
            BaseModelNameOrPath = options.BaseModelNameOrPath,
            InferenceMode = true,
            R = rank,
            LoraAlpha = alpha,
            // PEFT has one dropout for all targets; it only matters while training.
            LoraDropout = MostCommon(adapters.Select(a => a.Adapter.Options.Dropout)),
            TargetModules = adapters.Select(a => a.Adapter.TargetName).Distinct().Order(StringComparer.Ordinal).ToList(),
            UseRsLora = adapters[0].Adapter.Options.UseRsLoRA,
            UseDora = adapters[0].Adapter.Options.UseDoRA,
            InitLoraWeights = InitName(MostCommon(adapters.Select(a => a.Adapter.Options.Init))),
            RankPattern = rankPattern,
            AlphaPattern = alphaPattern,
            ModulesToSave = modulesToSave.Count == 0 ? null : modulesToSave.ToList(),
        };
    }

    public static string InitName(LoraInit init) => init switch
    {
        LoraInit.Gaussian => "gaussian",
        LoraInit.PiSSA => "pissa",
        _ => "true",
    };

    private static void RequireUniform(IReadOnlyList<(string Path, LoraAdapter Adapter)> adapters, Func<LoraAdapter, bool> setting, string name)
    {
        var groups = adapters.GroupBy(a => setting(a.Adapter)).ToList();
        if (groups.Count < 2) return;
        var on = groups.Single(g => g.Key).Select(a => a.Path);
        throw new NotSupportedException(
            $"PEFT adapter files hold one {name} setting for all targets, but only some targets use it ({string.Join(", ", on)}). Use the same setting for every target.");
    }

    /// <summary>The most frequent value; ties go to the one seen first.</summary>
    private static T MostCommon<T>(IEnumerable<T> values) =>
        values.GroupBy(v => v).OrderByDescending(g => g.Count()).First().Key;
}
