using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LoraSdk.Models;

/// <summary>
/// The <c>Model</c> configuration section: <c>Path</c>, the HuggingFace model folder a chat app fine-tunes and answers
/// with (appsettings.json <c>"Model": { "Path": … }</c>, environment <c>Model__Path</c>, command line
/// <c>--Model:Path=…</c>). A relative path is relative to the host's content root: the project folder when the build
/// trains, the app's own folder when a built or published app runs (<see cref="LoraSdk.Hosting.LoraAppHost"/>).
/// </summary>
public sealed record ChatModelOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Model";

    /// <summary>The key of the folder, as configuration spells it.</summary>
    public const string PathKey = SectionName + ":" + nameof(Path);

    /// <summary>The model folder as configured (null when no source sets it).</summary>
    public string? Path { get; set; }

    /// <summary>
    /// The absolute model folder (<see cref="Path"/> against <paramref name="contentRoot"/>), or the one-line reason it is
    /// no usable model folder, in the form <c>Model:Path = value: problem</c> (not set, no such folder, no config.json,
    /// no tokenizer.json); not set also says where it was looked for.
    /// </summary>
    internal (string? Folder, string? Failure) Resolve(string contentRoot, IConfiguration? configuration = null)
    {
        if (string.IsNullOrWhiteSpace(Path))
            return (null, $"{PathKey} = (not set): no HuggingFace model folder configured (looked in {Sources(configuration)}); " +
                $"set it there, e.g. \"{SectionName}\": {{ \"{nameof(Path)}\": \"/models/SmolLM2-135M-Instruct\" }} in appsettings.json, " +
                $"{SectionName}__{nameof(Path)}=<folder> or --{PathKey}=<folder>.");
        string folder = System.IO.Path.GetFullPath(Path, contentRoot);
        string? problem =
            !Directory.Exists(folder) ? $"no such folder ({folder})." :
            !File.Exists(System.IO.Path.Combine(folder, CausalLM.ConfigFile)) ? $"{folder} is not a HuggingFace model folder: it has no {CausalLM.ConfigFile}." :
            !File.Exists(System.IO.Path.Combine(folder, CausalLM.TokenizerFile)) ? $"{folder} has no {CausalLM.TokenizerFile}: the chat needs the model's tokenizer and chat template." :
            null;
        return problem is null ? (folder, null) : (null, $"{PathKey} = {Path}: {problem}");
    }

    /// <summary>Where configuration was read from: its JSON files, the environment and the command line.</summary>
    private static string Sources(IConfiguration? configuration)
    {
        var files = (configuration as IConfigurationRoot)?.Providers.OfType<FileConfigurationProvider>()
            .Select(p => p.Source.Path is { } path ? p.Source.FileProvider?.GetFileInfo(path).PhysicalPath ?? path : null)
            .OfType<string>().ToList() ?? [];
        return string.Join(", ", files.Append($"environment variable {SectionName}__{nameof(Path)}").Append($"command line --{PathKey}="));
    }

    /// <summary>Binds the section and checks the folder at start-up (the host reports a failure as one LORA210 line).</summary>
    internal static void Register(IServiceCollection services)
    {
        services.AddOptions<ChatModelOptions>().BindConfiguration(SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChatModelOptions>, Validator>();
    }

    private sealed class Validator(IHostEnvironment environment, IConfiguration configuration) : IValidateOptions<ChatModelOptions>
    {
        public ValidateOptionsResult Validate(string? name, ChatModelOptions options) =>
            options.Resolve(environment.ContentRootPath, configuration).Failure is { } failure ? ValidateOptionsResult.Fail(failure) : ValidateOptionsResult.Success;
    }
}
