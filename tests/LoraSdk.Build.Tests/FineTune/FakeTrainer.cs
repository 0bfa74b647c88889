using LoraSdk.Build.Tasks;
using LoraSdk.Shared;
using Microsoft.Build.Utilities;

namespace LoraSdk.Build.Tests.FineTune;

/// <summary>
/// A project folder with a shell script standing in for the user's built program: the task runs
/// <c>sh &lt;script&gt; train --LoRA:...</c> exactly as it would run <c>dotnet app.dll train --LoRA:...</c>.
/// The script records its arguments and working directory, then runs the test's body.
/// </summary>
internal sealed class FakeTrainer : IDisposable
{
    /// <summary>
    /// Shell functions for bodies: <c>write_adapter</c> creates the adapter files in the requested output folder and an
    /// (empty) dependency file where asked, as LoraSdk hosting does; <c>write_adapter_only</c> just the adapter.
    /// </summary>
    private const string Prelude = """
        printf '%s\n' "$@" > "$(dirname "$0")/args.txt"
        pwd > "$(dirname "$0")/cwd.txt"
        for a in "$@"; do case "$a" in --LoRA:Output=*) out="${a#--LoRA:Output=}";; --LoraSdkBuild:DependencyFile=*) deps="${a#--LoraSdkBuild:DependencyFile=}";; esac; done
        write_adapter_only() { mkdir -p "$out" && : > "$out/adapter_model.safetensors" && : > "$out/adapter_config.json"; }
        write_adapter() { write_adapter_only && if [ -n "$deps" ]; then printf '# LoraSdk fine-tune inputs, version 1\n# end\n' > "$deps"; fi; }

        """;

    public FakeTrainer(string body)
    {
        Directory = Path.Combine(Path.GetTempPath(), "lora-fake-trainer-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Script = Path.Combine(Directory, "app.sh");
        File.WriteAllText(Script, Prelude + body.Replace("\r\n", "\n") + "\n");
    }

    public string Directory { get; }

    public string Script { get; }

    public string OutputDirectory => Path.Combine(Directory, "obj", "lora", "intents");

    public string[] AdapterPaths => FineTuneContract.AdapterFiles.Select(f => Path.Combine(OutputDirectory, f)).ToArray();

    /// <summary>The dependency file the task asks the program to write (relative to the project, as the targets pass it absolute).</summary>
    public const string DependencyFile = "obj/lora/intents.inputs";

    public string DependencyFilePath => Path.Combine(Directory, DependencyFile);

    public string[] RecordedArguments => File.ReadAllLines(Path.Combine(Directory, "args.txt"));

    public string RecordedWorkingDirectory => File.ReadAllText(Path.Combine(Directory, "cwd.txt")).Trim();

    /// <summary>A task wired to this fake program, for the item <c>intents</c> with the given metadata.</summary>
    public LoraFineTune CreateTask(RecordingBuildEngine engine, params (string Key, string Value)[] metadata)
    {
        var item = new TaskItem("intents");
        foreach (var (key, value) in metadata) item.SetMetadata(key, value);
        return new LoraFineTune
        {
            BuildEngine = engine,
            FineTune = item,
            Assembly = Script,
            ProjectDirectory = Directory,
            Output = Path.Combine("obj", "lora", "intents"),
            AdapterFiles = AdapterPaths.Select(p => (Microsoft.Build.Framework.ITaskItem)new TaskItem(p)).ToArray(),
            DependencyFile = DependencyFile,
            ToolPath = "/bin",
            ToolExe = "sh",
        };
    }

    /// <summary>An adapter left by an earlier build.</summary>
    public void WriteStaleAdapter()
    {
        System.IO.Directory.CreateDirectory(OutputDirectory);
        foreach (string path in AdapterPaths) File.WriteAllText(path, "old");
        File.WriteAllText(DependencyFilePath, FineTuneContract.DependencyFile.Format(new[] { Path.Combine(Directory, "data.txt") }));
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
