using System.Text.Json;

namespace LoraSdk.EndToEnd.Tests;

/// <summary>
/// LoraSdkBackend in a consumer of the packed package. The CUDA packages are not served in this
/// environment, so this checks what the targets ask NuGet and MSBuild for, not a CUDA restore.
/// </summary>
[Collection(PackedLoraSdkCollection.Name)]
public sealed class BackendSelectionTests(PackedLoraSdk package)
{
    [Fact]
    public void Cuda_adds_the_platform_TorchSharp_cuda_package_and_stops_the_build_until_it_is_restored()
    {
        var consumer = new ConsumerProject(package, "BackendConsumer",
            new Dictionary<string, string> { ["Program.cs"] = "System.Console.WriteLine(1);" },
            ConsumerSources.AppSettings, ConsumerSources.Dataset);
        consumer.Run("restore").ShouldSucceed();

        Assert.DoesNotContain(PackageReferences(consumer), r => r.Id.StartsWith("TorchSharp-cuda", StringComparison.Ordinal));
        if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
        {
            string expected = OperatingSystem.IsWindows() ? "TorchSharp-cuda-windows" : "TorchSharp-cuda-linux";
            Assert.Contains((expected, BuildInfo.TorchSharpVersion), PackageReferences(consumer, "-p:LoraSdkBackend=cuda"));

            var unrestored = consumer.Run("build", "--no-restore", "-tl:off", "-p:LoraSdkBackend=cuda");
            Assert.NotEqual(0, unrestored.ExitCode);
            Assert.Contains($"error LORA130: LoraSdkBackend=cuda: {expected} is not restored yet", unrestored.Output);
        }

        var invalid = consumer.Run("build", "--no-restore", "-tl:off", "-p:LoraSdkBackend=gpu");
        Assert.NotEqual(0, invalid.ExitCode);
        Assert.Contains("error LORA131: LoraSdkBackend must be 'cpu' or 'cuda', not 'gpu'.", invalid.Output);
    }

    private static List<(string Id, string Version)> PackageReferences(ConsumerProject consumer, params string[] properties)
    {
        string json = consumer.Run(["msbuild", "-getItem:PackageReference", .. properties]).ShouldSucceed().Output;
        using var document = JsonDocument.Parse(json[json.IndexOf('{')..]);
        return document.RootElement.GetProperty("Items").GetProperty("PackageReference").EnumerateArray()
            .Select(item => (item.GetProperty("Identity").GetString()!, item.GetProperty("Version").GetString()!))
            .ToList();
    }
}
