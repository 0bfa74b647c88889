namespace LoraSdk.EndToEnd.Tests;

/// <summary>
/// The adapter a build trains is build output: `dotnet publish` of a fresh consumer trains and ships it
/// (lora/&lt;name&gt;/ + loss curve, no checkpoints), the built and the published app find it next to themselves from
/// any working directory, also with the project folder gone, and a removed LoraFineTune item leaves the output at
/// the next build. One consumer goes through all steps (each is minutes of CLI work on a small machine).
/// </summary>
[Collection(PackedLoraSdkCollection.Name)]
public sealed class PublishedAdapterTests(PackedLoraSdk package)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);
    private const string Text = "see you soon";

    [Fact]
    public void Publish_ships_the_trained_adapter_and_the_app_finds_it_next_to_itself()
    {
        var consumer = new ConsumerProject(package, "Shipper",
            new Dictionary<string, string> { ["Program.cs"] = ConsumerSources.Program, ["IntentClassifier.cs"] = ConsumerSources.Model },
            ConsumerSources.AppSettings, ConsumerSources.Dataset);
        string published = Path.Combine(package.Root, "shipper-published");
        string name = ConsumerProject.FineTuneName;

        // 1. A first `dotnet publish` (Release, as publish defaults to) builds, trains (after the build's own content
        //    copy) and still publishes the adapter.
        string log = consumer.Run("publish", "-o", published, "-v:n", "-tl:off").ShouldSucceed().Output;
        Assert.Contains($"{name}: adapter written to", log);
        AssertShipped(published, name, log);
        AssertShipped(consumer.OutputDirectory, name, log);
        Assert.Equal(File.ReadAllBytes(consumer.AdapterModel), File.ReadAllBytes(Path.Combine(published, "lora", name, "adapter_model.safetensors")));

        // 2. The same prediction from `dotnet run` in the project, the built app from elsewhere, and the published app
        //    from elsewhere with the project folder moved away.
        string inProject = Logits(DotNetCli.Run(consumer.Directory, CommandTimeout, "run", "--no-build", "-c", "Release", "--", "predict", Text));
        string dll = Path.GetFileName(consumer.ProjectFile).Replace(".csproj", ".dll");
        Assert.Equal(inProject, Logits(DotNetCli.Run(package.Root, CommandTimeout, Path.Combine(consumer.OutputDirectory, dll), "predict", Text)));
        string moved = consumer.Directory + "-moved";
        Directory.Move(consumer.Directory, moved);
        try
        {
            Assert.Equal(inProject, Logits(DotNetCli.Run(Path.GetTempPath(), CommandTimeout, Path.Combine(published, dll), "predict", Text)));
        }
        finally
        {
            Directory.Move(moved, consumer.Directory);
        }

        // 3. An app whose adapter is missing says where it looked.
        string shipped = Path.Combine(consumer.OutputDirectory, "lora", name);
        Directory.Move(shipped, shipped + "-hidden");
        var missing = DotNetCli.Run(package.Root, CommandTimeout, Path.Combine(consumer.OutputDirectory, dll), "predict", Text);
        Directory.Move(shipped + "-hidden", shipped);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains($"No adapter '{name}' next to the app: {shipped}", missing.Output);

        // 4. The item removed from the project: the next build deletes its copies from the output (obj/ keeps the adapter).
        File.WriteAllText(consumer.ProjectFile, RemoveFineTuneItem(File.ReadAllText(consumer.ProjectFile)));
        log = consumer.Build("-c", "Release").ShouldSucceed().Output;
        Assert.False(Directory.Exists(Path.Combine(consumer.OutputDirectory, "lora")), $"the removed item's adapter is still in the output:\n{log}");
        Assert.True(File.Exists(consumer.AdapterModel));
    }

    private static void AssertShipped(string folder, string name, string log)
    {
        foreach (string file in new[] { "adapter_config.json", "adapter_model.safetensors" })
            Assert.True(File.Exists(Path.Combine(folder, "lora", name, file)), $"no lora/{name}/{file} in {folder}:\n{log}");
        Assert.True(File.Exists(Path.Combine(folder, "lora", name + ".loss.svg")), $"no loss curve in {folder}");
        Assert.Equal(3, Directory.GetFiles(Path.Combine(folder, "lora"), "*", SearchOption.AllDirectories).Length); // no checkpoints
    }

    /// <summary>The program's one line of logits (it fails the test with the output when the program failed).</summary>
    private static string Logits(DotNetCli.Result result) =>
        result.ShouldSucceed().Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("logits ", StringComparison.Ordinal));

    private static string RemoveFineTuneItem(string project)
    {
        var lines = project.Split('\n');
        Assert.Single(lines, l => l.Contains("<LoraFineTune Include=", StringComparison.Ordinal));
        return string.Join('\n', lines.Where(l => !l.Contains("<LoraFineTune Include=", StringComparison.Ordinal)));
    }
}
