namespace LoraSdk.EndToEnd.Tests;

/// <summary>
/// A temporary project that uses LoraSdk the way a new user would: a PackageReference to the packed
/// package from a folder feed, the two MSBuild lines that opt into build-time fine-tuning, a model with
/// [LoRA] and a tiny dataset. Restores into its own package folder (so no cache holds a stale LoraSdk),
/// with the machine's package folder as a fallback so TorchSharp is not downloaded again.
/// </summary>
internal sealed class ConsumerProject
{
    public const string FineTuneName = "tiny";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);

    public ConsumerProject(PackedLoraSdk package, string name, IReadOnlyDictionary<string, string> sources, string appSettings, string dataset)
    {
        Directory = Path.Combine(package.Root, name);
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "data"));
        NuGetConfig.Write(Directory, package.Feed);
        File.WriteAllText(Path.Combine(Directory, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <RuntimeIdentifier>$(NETCoreSdkPortableRuntimeIdentifier)</RuntimeIdentifier>
                <SelfContained>false</SelfContained>
                <RestorePackagesPath>{Path.Combine(package.Root, "packages")}</RestorePackagesPath>
                <RestoreAdditionalProjectFallbackFolders>{BuildInfo.NuGetPackageRoot}</RestoreAdditionalProjectFallbackFolders>
                <LoraFineTuneOnBuild>true</LoraFineTuneOnBuild>
                <!-- Lets a test build switch the item to another config file (-p:TinyConfig=...). -->
                <TinyConfig Condition="'$(TinyConfig)' == ''">appsettings.json</TinyConfig>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="LoraSdk" Version="{package.Version}" />
                <LoraFineTune Include="{FineTuneName}" Config="$(TinyConfig)" Epochs="2" />
                <None Update="appsettings.json" CopyToOutputDirectory="PreserveNewest" />
              </ItemGroup>
            </Project>
            """);
        foreach (var (file, text) in sources) File.WriteAllText(Path.Combine(Directory, file), text);
        File.WriteAllText(Path.Combine(Directory, "appsettings.json"), appSettings);
        WriteDataset(dataset);
    }

    public string Directory { get; }

    public string DatasetPath => Path.Combine(Directory, "data", "train.jsonl");

    public string AdapterDirectory => Path.Combine(Directory, "obj", "lora", FineTuneName);

    public string AdapterModel => Path.Combine(AdapterDirectory, "adapter_model.safetensors");

    public string AdapterConfig => Path.Combine(AdapterDirectory, "adapter_config.json");

    /// <summary>The build output folder (bin/Debug/net10.0/&lt;rid&gt;/), where the targets copy the adapter to lora/&lt;name&gt;/.</summary>
    public string OutputDirectory => Path.GetDirectoryName(
        System.IO.Directory.GetFiles(Path.Combine(Directory, "bin"), Path.GetFileName(Directory) + ".dll", SearchOption.AllDirectories)
            .Single(f => !f.Contains($"{Path.DirectorySeparatorChar}publish{Path.DirectorySeparatorChar}")))!;

    public string ProjectFile => Path.Combine(Directory, Path.GetFileName(Directory) + ".csproj");

    public void WriteDataset(string text)
    {
        File.WriteAllText(DatasetPath, text);
        // On a file system with coarse timestamps the edit could tie with the adapter: make it strictly newer.
        if (File.Exists(AdapterModel) && File.GetLastWriteTimeUtc(AdapterModel) >= File.GetLastWriteTimeUtc(DatasetPath))
            File.SetLastWriteTimeUtc(DatasetPath, File.GetLastWriteTimeUtc(AdapterModel).AddSeconds(1));
    }

    public DotNetCli.Result Build(params string[] extraArguments) =>
        DotNetCli.Run(Directory, CommandTimeout, ["build", "-nodeReuse:false", "-v:n", "-tl:off", .. extraArguments]);

    /// <summary>Any other dotnet command in the project folder (build-server and node reuse off).</summary>
    public DotNetCli.Result Run(params string[] arguments) => DotNetCli.Run(Directory, CommandTimeout, [.. arguments, "-nodeReuse:false"]);

    public DotNetCli.Result Clean() => DotNetCli.Run(Directory, CommandTimeout, "clean", "-nodeReuse:false", "-v:n", "-tl:off");
}
