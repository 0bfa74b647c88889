namespace LoraSdk;

/// <summary>How <see cref="AdapterModelExtensions.LoadAdapter(TorchSharp.torch.nn.Module, string, AdapterLoadOptions)"/> treats doubtful content.</summary>
public sealed record AdapterLoadOptions
{
    /// <summary>
    /// Accept tensors holding NaN or ±Inf. Off by default: such an adapter (a diverged run, a damaged file)
    /// makes every output NaN, so loading it is refused naming the file, key and first bad index.
    /// </summary>
    public bool AllowNonFiniteValues { get; init; }

    /// <summary>
    /// Receives warnings about an adapter that loads but may not be what was meant (e.g. <c>target_modules</c>
    /// naming layers the model does not have). Default: written to standard error.
    /// </summary>
    public Action<string>? Warning { get; init; }

    internal void Warn(string message)
    {
        if (Warning is { } warning) warning(message);
        else Console.Error.WriteLine(message);
    }
}
