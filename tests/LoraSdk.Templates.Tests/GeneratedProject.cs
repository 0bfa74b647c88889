namespace LoraSdk.Templates.Tests;

/// <summary>A project made by <c>dotnet new lora-project</c>, driven the way its README tells a user to.</summary>
internal sealed class GeneratedProject(string directory, string adapterName)
{
    // Restoring, compiling and training a MiniLM adapter on a loaded 2-core machine.
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(8);

    public string Directory { get; } = directory;

    public string AdapterDirectory => Path.Combine(Directory, "obj", "lora", adapterName);

    public string AdapterModel => Path.Combine(AdapterDirectory, "adapter_model.safetensors");

    public string LossCurve => AdapterDirectory + ".loss.svg";

    /// <summary>The copy the build ships next to the app (<c>bin/…/lora/&lt;name&gt;</c>), which <c>predict</c> reads.</summary>
    public string ShippedAdapterDirectory =>
        System.IO.Directory.GetDirectories(Path.Combine(Directory, "bin"), adapterName, SearchOption.AllDirectories)
            .Single(d => Path.GetFileName(Path.GetDirectoryName(d)) == "lora");

    public string ShippedAdapterModel => Path.Combine(ShippedAdapterDirectory, "adapter_model.safetensors");

    public string Read(string relativePath) => File.ReadAllText(Path.Combine(Directory, relativePath));

    public DotNetCli.Result Build() => DotNetCli.Run(Directory, CommandTimeout, "build", "-nodeReuse:false", "-v:n", "-tl:off");

    public DotNetCli.Result Run(params string[] arguments) =>
        DotNetCli.Run(Directory, CommandTimeout, ["run", "--no-build", "--", .. arguments]);

    /// <summary><see cref="Run"/> with <paramref name="input"/> on stdin (then end of input) and <paramref name="environment"/> set.</summary>
    public DotNetCli.Result RunWith(string? input, IReadOnlyDictionary<string, string>? environment, params string[] arguments) =>
        DotNetCli.Run(Directory, CommandTimeout, input, environment, ["run", "--no-build", "--", .. arguments]);
}
