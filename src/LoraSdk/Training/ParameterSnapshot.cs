using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Training;

/// <summary>A detached copy of the trainable parameters (the best evaluation's), to put back at the end of a run.</summary>
internal sealed class ParameterSnapshot : IDisposable
{
    private readonly List<(string name, Parameter parameter)> _trainable;
    private readonly Dictionary<string, Tensor> _copies;

    private ParameterSnapshot(List<(string name, Parameter parameter)> trainable)
    {
        _trainable = trainable;
        _copies = trainable.ToDictionary(p => p.name, p => p.parameter.detach().clone());
    }

    /// <summary>Copies the parameters' current values.</summary>
    public static ParameterSnapshot Take(List<(string name, Parameter parameter)> trainable) => new(trainable);

    /// <summary>The parameters saved in a checkpoint folder, read without changing the model's.</summary>
    public static ParameterSnapshot From(string checkpoint, nn.Module model, List<(string name, Parameter parameter)> trainable)
    {
        using var current = Take(trainable);
        Checkpoint.LoadParameters(checkpoint, model);
        var saved = Take(trainable);
        current.Restore();
        return saved;
    }

    /// <summary>Puts the copied values back into the parameters.</summary>
    public void Restore()
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in _trainable) parameter.copy_(_copies[name]);
    }

    public void Dispose()
    {
        foreach (var tensor in _copies.Values) tensor.Dispose();
        _copies.Clear();
    }
}
