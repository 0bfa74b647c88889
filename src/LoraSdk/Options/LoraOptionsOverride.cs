using LoraSdk.Shared;

namespace LoraSdk;

/// <summary>
/// Run-time replacements for the adapter options of <c>[LoRA]</c> classes, applied while a model is built:
/// <code>using (LoraOptionsOverride.Apply(new LoraOptionsOverride { Rank = 16, Alpha = 32 })) model = new MyModel();</code>
/// Every property that is set replaces that option for every target the generated code attaches in the scope
/// (like PEFT's <c>r</c>/<c>lora_alpha</c> without patterns); unset ones keep the attributes' values, so
/// overriding <see cref="Rank"/> alone keeps the declared alpha and changes the scaling alpha/r. The scope
/// flows with the async context (an <see cref="AsyncLocal{T}"/>), and nested scopes compose: the inner wins.
/// Adapters report the effective options; the generated static <c>LoraTargets</c> stay the compile-time declaration.
/// The fine-tuning host binds the <c>LoRA</c> section's adapter keys to one of these
/// (<c>LoraFineTuningOptions.Adapter</c>): a key that is not set stays null.
/// </summary>
public sealed record LoraOptionsOverride
{
    private static readonly AsyncLocal<LoraOptionsOverride?> Active = new();

    /// <summary>Replaces every target's rank when set.</summary>
    public int? Rank { get; init; }
    /// <summary>Replaces every target's alpha when set.</summary>
    public double? Alpha { get; init; }
    /// <summary>Replaces every target's dropout when set.</summary>
    public double? Dropout { get; init; }
    /// <summary>Replaces every target's rsLoRA setting when set.</summary>
    public bool? UseRsLoRA { get; init; }
    /// <summary>Replaces every target's initialisation when set.</summary>
    public LoraInit? Init { get; init; }
    /// <summary>Replaces every target's DoRA setting when set.</summary>
    public bool? UseDoRA { get; init; }

    /// <summary>
    /// When set, only the targets named here (the target names of the generated <c>LoraTargets</c>, e.g. field names)
    /// get adapters; the others are left unadapted, and their calls run the plain layer (PEFT's <c>target_modules</c>
    /// chosen at run time). Unset: every declared target is adapted.
    /// </summary>
    public IReadOnlySet<string>? Targets { get; init; }

    /// <summary>The override in force here (all enclosing scopes combined), or null outside any scope.</summary>
    public static LoraOptionsOverride? Current => Active.Value;

    /// <summary>True when nothing is set: the scope changes no option.</summary>
    public bool IsEmpty => Equals(Nothing);

    // The override that sets nothing: record equality with it is "nothing set", whatever options exist.
    private static readonly LoraOptionsOverride Nothing = new();

    /// <summary>Puts <paramref name="overrides"/> in force until the returned scope is disposed.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A set value is invalid; the message names the option and the value.</exception>
    public static IDisposable Apply(LoraOptionsOverride overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        overrides.Validate();
        var outer = Active.Value;
        Active.Value = outer is null ? overrides : outer.ThenApply(overrides);
        return new Scope(outer);
    }

    /// <summary>The declared options with every set property of this override put in.</summary>
    public LoraOptions ApplyTo(LoraOptions declared)
    {
        ArgumentNullException.ThrowIfNull(declared);
        return new LoraOptions(Rank ?? declared.Rank, Alpha ?? declared.Alpha, Dropout ?? declared.Dropout,
            UseRsLoRA ?? declared.UseRsLoRA, Init ?? declared.Init, declared.Base, UseDoRA ?? declared.UseDoRA);
    }

    /// <summary>Whether <paramref name="options"/> has every value this override sets (i.e. the override reached it).</summary>
    public bool IsReflectedIn(LoraOptions options) => ApplyTo(options).Equals(options); // putting the override in changes nothing

    private LoraOptionsOverride ThenApply(LoraOptionsOverride inner) => new()
    {
        Rank = inner.Rank ?? Rank,
        Alpha = inner.Alpha ?? Alpha,
        Dropout = inner.Dropout ?? Dropout,
        UseRsLoRA = inner.UseRsLoRA ?? UseRsLoRA,
        Init = inner.Init ?? Init,
        UseDoRA = inner.UseDoRA ?? UseDoRA,
        Targets = inner.Targets ?? Targets,
    };

    /// <summary>Whether this override leaves <paramref name="target"/> adapted (no <see cref="Targets"/>, or it names the target).</summary>
    public bool Selects(string target) => Targets is null || Targets.Contains(target);

    /// <summary>Every set value that breaks its rule (src/Shared/LoraOptionRules.cs), as its property name, value and requirement.</summary>
    public IEnumerable<(string Name, object Value, string Rule)> Problems()
    {
        foreach (var (option, value, requirement) in LoraOptionRules.Problems(Rank, Alpha, Dropout))
            yield return (option, value, $"must be {requirement}");
        if (Init is { } init && !Enum.IsDefined(init))
            yield return (nameof(Init), init, $"must be one of {string.Join(", ", Enum.GetNames<LoraInit>())}");
    }

    private void Validate()
    {
        var (name, value, rule) = Problems().FirstOrDefault();
        if (name is not null)
            throw new ArgumentOutOfRangeException(name, value,
                $"LoRA option override {name} = {Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)} is invalid: it {rule}.");
    }

    private sealed class Scope(LoraOptionsOverride? outer) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            Active.Value = outer;
        }
    }
}
