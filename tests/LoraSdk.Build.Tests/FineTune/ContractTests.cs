using System.Reflection;
using System.Text.RegularExpressions;
using LoraSdk.Build.Tasks;
using LoraSdk.Shared;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace LoraSdk.Build.Tests.FineTune;

/// <summary>
/// The trainer↔build contract (src/Shared/FineTuneContract.cs) end to end: the real trainer (LoraSdk hosting in
/// LoraSdk.Training.TestHost) run by the real task, whose parser must understand every line it prints, and whose
/// dependency file becomes the next build's inputs. Also: the .targets and docs name only codes the contract defines.
/// </summary>
public sealed class ContractTests : IDisposable
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "lora-contract-" + Guid.NewGuid().ToString("N"));

    public ContractTests() => Directory.CreateDirectory(_project);

    public void Dispose() => Directory.Delete(_project, recursive: true);

    [Fact]
    public void The_real_trainer_speaks_the_protocol_the_task_reads_and_lists_the_files_it_read()
    {
        string trainer = Metadata("TrainerTestHost");
        Assert.True(File.Exists(trainer), $"{trainer} is not built (LoraSdk.Build.Tests builds it through its project reference)");
        Write("data/train.jsonl", string.Concat(Enumerable.Range(0, 16).Select(i => $"{{\"text\":\"line {i} of the tiny corpus\"}}\n")));
        Write("data/unused.jsonl", "{}\n");
        Write("appsettings.json", """
            { "MyApp": { "Lookup": "data/unused.jsonl" },
              "LoRA": { "Dataset": "data/train.jsonl", "MaxSteps": 6, "BatchSize": 4, "LogEvery": 1,
                        "EvalEvery": 3, "ValidationSplit": 0.25, "Rank": 2, "Threads": 1, "Seed": 3 } }
            """);

        ITaskItem first = Resolve();
        // Nothing read yet (the missing dependency file makes the build train): only the stamp of the item's metadata.
        Assert.Equal(first.GetMetadata("LoraSdkOptionsStamp"), first.GetMetadata("LoraSdkInputs"));
        var engine = new RecordingBuildEngine();
        var task = new LoraFineTune
        {
            BuildEngine = engine,
            FineTune = first,
            Assembly = trainer,
            ProjectDirectory = _project,
            Output = first.GetMetadata("LoraSdkOutput"),
            AdapterFiles = first.GetMetadata("LoraSdkAdapterFiles").Split(';').Select(f => (ITaskItem)new TaskItem(f)).ToArray(),
            DependencyFile = first.GetMetadata("LoraSdkDependencyFile"),
            ProgressInterval = 2,
        };

        Assert.True(task.Execute(), engine.Log);

        // Every machine line was understood (LORA112 otherwise) and none leaked through as ordinary output.
        Assert.Empty(engine.Warnings);
        Assert.DoesNotContain(engine.Messages, m => FineTuneContract.Lines.All.Any(prefix => m.Message!.Contains(prefix)));
        // Progress: the first, every second step and the last at normal verbosity; evaluations too; the result at high.
        Assert.Equal(new[] { 1, 2, 4, 6 }.Select(s => $"intents: step {s}/6 (epoch "),
            engine.MessagesAt(MessageImportance.Normal, ": step ").Where(m => m.Contains("/6 ")).Select(m => m[..(m.IndexOf("(epoch ") + 7)]));
        Assert.Equal(new[] { "intents: step 3: validation loss ", "intents: step 6: validation loss " },
            engine.MessagesAt(MessageImportance.Normal, ": validation loss ").Select(m => m[..(m.IndexOf("loss ") + 5)]));
        string output = first.GetMetadata("LoraSdkOutput");
        Assert.StartsWith($"intents: adapter written to {output} in ", Assert.Single(engine.MessagesAt(MessageImportance.High, "adapter written")));
        Assert.Equal(output, task.AdapterDirectory);
        Assert.All(task.AdapterFiles, f => Assert.True(File.Exists(f.ItemSpec), f.ItemSpec));

        // What the program read, and only that, is what the next build compares with the adapter.
        var listed = FineTuneContract.DependencyFile.Parse(File.ReadAllText(first.GetMetadata("LoraSdkDependencyFile")));
        Assert.Equal(new[] { Full("appsettings.json"), Full("data/train.jsonl") }, listed);
        ITaskItem next = Resolve();
        Assert.Equal(listed!.Append(next.GetMetadata("LoraSdkOptionsStamp")).Order(StringComparer.Ordinal), next.GetMetadata("LoraSdkInputs").Split(';'));
    }

    [Fact]
    public void The_targets_and_docs_name_only_build_codes_the_contract_defines_and_document_every_one()
    {
        string root = Metadata("RepoRoot");
        var code = new Regex(@"LORA1\d\d");
        string targets = string.Concat(Directory.GetFiles(Path.Combine(root, "src/LoraSdk/build"), "*.targets").Select(File.ReadAllText));
        string docs = File.ReadAllText(Path.Combine(root, "docs/build-integration.md")) + File.ReadAllText(Path.Combine(root, "docs/torchsharp-linux.md"));

        Assert.Empty(code.Matches(targets).Select(m => m.Value).Except(FineTuneContract.BuildCodes.All));
        // The docs give ranges as "LORA130–132"; the end of a range counts as named.
        var documented = code.Matches(docs).Select(m => m.Value)
            .Concat(Regex.Matches(docs, @"LORA1(\d)\d–(1\d\d)").Select(m => "LORA" + m.Groups[2].Value)).ToHashSet();
        Assert.Empty(documented.Except(FineTuneContract.BuildCodes.All));
        Assert.DoesNotContain(FineTuneContract.BuildCodes.All, c => !documented.Contains(c) && !InRange(docs, c));
    }

    [Fact]
    public void Each_line_kind_has_the_visibility_the_docs_promise()
    {
        Assert.Equal(FineTuneContract.Visibility.Minimal, FineTuneContract.Lines.VisibilityOf(FineTuneContract.Lines.Result));
        Assert.Equal(FineTuneContract.Visibility.Normal, FineTuneContract.Lines.VisibilityOf(FineTuneContract.Lines.Evaluation));
        Assert.Equal(FineTuneContract.Visibility.NormalEveryInterval, FineTuneContract.Lines.VisibilityOf(FineTuneContract.Lines.Progress));
    }

    /// <summary>True when a documented range such as <c>LORA130–132</c> covers <paramref name="code"/>.</summary>
    private static bool InRange(string docs, string code) =>
        Regex.Matches(docs, @"LORA(1\d\d)–(1\d\d)").Any(m =>
            int.Parse(m.Groups[1].Value) <= int.Parse(code[4..]) && int.Parse(code[4..]) <= int.Parse(m.Groups[2].Value));

    private ITaskItem Resolve()
    {
        var engine = new RecordingBuildEngine();
        var task = new ResolveLoraFineTunes
        {
            BuildEngine = engine,
            FineTunes = new ITaskItem[] { new TaskItem("intents") },
            ProjectDirectory = _project,
            DefaultOutputRoot = Path.Combine(_project, "obj", "lora") + Path.DirectorySeparatorChar,
            IntermediateDirectory = Path.Combine(_project, "obj") + Path.DirectorySeparatorChar,
        };
        Assert.True(task.Execute(), engine.Log);
        return Assert.Single(task.Resolved);
    }

    private static string Metadata(string key) =>
        typeof(ContractTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private void Write(string relative, string text)
    {
        string path = Full(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private string Full(string relative) => Path.GetFullPath(Path.Combine(_project, relative));
}
