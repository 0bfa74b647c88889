using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Adapters;

/// <summary>Shared helpers: temporary folders, deterministic LoRA values, state snapshots.</summary>
internal static class AdapterTestKit
{
    /// <summary>A fresh empty folder under the system temp folder (deleted by the returned handle).</summary>
    public static TempFolder NewFolder() => new(Directory.CreateTempSubdirectory("lorasdk-adapters-").FullName);

    /// <summary>Fills every LoRA parameter with seeded normal values (so a round trip of zeros cannot pass by accident).</summary>
    public static void RandomizeLora(nn.Module model, long seed)
    {
        var generator = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var (_, parameter) in model.LoraParameters())
        {
            using var values = randn(parameter.shape, dtype: parameter.dtype, generator: generator);
            parameter.copy_(values);
        }
    }

    /// <summary>A model with the same base weights as <paramref name="source"/> but other LoRA values.</summary>
    public static TinyNet FreshCopy(TinyNet source, long loraSeed, OptionsForPath? options = null)
    {
        var fresh = new TinyNet(options);
        fresh.load_state_dict(source.state_dict());
        RandomizeLora(fresh, loraSeed);
        return fresh;
    }

    /// <summary>Clones of every parameter and buffer, by state-dict name.</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module model) =>
        model.state_dict().ToDictionary(e => e.Key, e => e.Value.detach().clone());

    public static void AssertUnchanged(Dictionary<string, Tensor> before, nn.Module model)
    {
        var after = model.state_dict();
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (name, tensor) in before)
            Assert.True(Same(tensor, after[name]), $"'{name}' changed although the load failed.");
    }

    /// <summary>Same shape, dtype and values, bit for bit.</summary>
    public static bool Same(Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape)) return false;
        using var equal = a.eq(b);
        using var all = equal.all();
        return all.item<bool>();
    }

    public static Tensor Output(nn.Module<Tensor, Tensor> model)
    {
        model.eval();
        using var ids = TinyNet.SampleIds();
        using var _ = no_grad();
        return model.forward(ids);
    }

    public static void AssertSameOutput(nn.Module<Tensor, Tensor> expected, nn.Module<Tensor, Tensor> actual)
    {
        using var want = Output(expected);
        using var got = Output(actual);
        Assert.True(Same(want, got), "the models' outputs differ.");
    }

    public static void AssertSameLora(nn.Module expected, nn.Module actual)
    {
        var a = expected.LoraParameters();
        var b = actual.LoraParameters();
        Assert.Equal(a.Select(p => p.Name), b.Select(p => p.Name));
        for (int i = 0; i < a.Count; i++)
            Assert.True(Same(a[i].Parameter, b[i].Parameter), $"LoRA tensor '{a[i].Name}' differs.");
    }
}

internal sealed class TempFolder(string path) : IDisposable
{
    public string Path { get; } = path;

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
