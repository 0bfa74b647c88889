using LoraSdk.Hosting;
using Microsoft.Extensions.Configuration;

namespace LoraSdk.Models;

/// <summary>Finds the configured model folder (<see cref="ChatModelOptions"/>) for an app that chats with it.</summary>
public static class ChatModelFolder
{
    /// <summary>
    /// Reads <c>Model:Path</c> from <paramref name="configuration"/> and checks that it names a HuggingFace model folder
    /// (config.json and tokenizer.json). On failure <paramref name="error"/> is one line naming the key, where it was set
    /// (file and line, environment or command line) or where it was looked for, and what is wrong.
    /// </summary>
    /// <param name="configuration">The app's configuration.</param>
    /// <param name="contentRoot">What a relative path is relative to (the app's folder under <see cref="LoraAppHost"/>).</param>
    /// <param name="folder">The absolute model folder, or null.</param>
    /// <param name="error">The reason there is none, or null.</param>
    public static bool TryResolve(IConfiguration configuration, string contentRoot, out string? folder, out string? error)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(ChatModelOptions.SectionName).Get<ChatModelOptions>() ?? new ChatModelOptions();
        (folder, string? failure) = options.Resolve(contentRoot, configuration);
        error = failure is null ? null : ConfigurationOrigin.ErrorLine(configuration, ChatModelOptions.PathKey, failure);
        return folder is not null;
    }
}
