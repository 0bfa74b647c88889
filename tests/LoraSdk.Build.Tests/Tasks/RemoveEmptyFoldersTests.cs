using LoraSdk.Build.Tasks;
using LoraSdk.Build.Tests.Support;

namespace LoraSdk.Build.Tests.Tasks;

/// <summary>The lora/ folders that incremental clean and dotnet clean leave empty go; any folder with a file stays.</summary>
public sealed class RemoveEmptyFoldersTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly FakeBuildEngine _engine = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Removes_empty_folders_and_keeps_those_with_files()
    {
        string lora = _folder.File("lora");
        Directory.CreateDirectory(Path.Combine(lora, "removed", "nested"));
        Directory.CreateDirectory(Path.Combine(lora, "kept"));
        File.WriteAllText(Path.Combine(lora, "kept", "adapter_config.json"), "{}");

        Assert.True(Run(lora));

        Assert.False(Directory.Exists(Path.Combine(lora, "removed")));
        Assert.True(File.Exists(Path.Combine(lora, "kept", "adapter_config.json")));
    }

    [Fact]
    public void Removes_the_root_when_nothing_is_left_and_ignores_a_missing_one()
    {
        string lora = _folder.File("lora");
        Directory.CreateDirectory(Path.Combine(lora, "a"));

        Assert.True(Run(lora));
        Assert.False(Directory.Exists(lora));
        Assert.True(Run(lora));
        Assert.Empty(_engine.Warnings);
    }

    private bool Run(string root) => new RemoveEmptyFolders { BuildEngine = _engine, Root = root }.Execute();
}
