using LoraSdk.Data;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace LoraSdk.Hosting;

/// <summary>
/// Turns a bad configuration key into the canonical error line, pointing at what set it: the JSON file and
/// line (<c>appsettings.json(4,5): error LORA210: …</c>), or naming the command line or environment.
/// </summary>
internal static class ConfigurationOrigin
{
    public static string ErrorLine(IConfiguration configuration, string key, string message)
    {
        if (configuration is IConfigurationRoot root)
        {
            // The last provider that has the key is the one whose value won.
            foreach (var provider in root.Providers.Reverse())
            {
                if (!provider.TryGet(key, out _)) continue;
                switch (provider)
                {
                    case FileConfigurationProvider file when file.Source.Path is not null:
                        string path = file.Source.FileProvider?.GetFileInfo(file.Source.Path).PhysicalPath ?? file.Source.Path;
                        var (line, column) = FindKey(path, key);
                        return $"{path}({line},{column}): error {LoraErrorCodes.InvalidOption}: {message}";
                    case CommandLineConfigurationProvider:
                        return $"error {LoraErrorCodes.InvalidOption}: {message} (set on the command line)";
                    case EnvironmentVariablesConfigurationProvider:
                        return $"error {LoraErrorCodes.InvalidOption}: {message} (set by environment variable {key.Replace(":", "__")})";
                }
                break;
            }
        }
        return $"error {LoraErrorCodes.InvalidOption}: {message}";
    }

    /// <summary>The first line that names the key's last part as a JSON property (1,1 when not found).</summary>
    private static (int Line, int Column) FindKey(string path, string key)
    {
        string needle = "\"" + key[(key.LastIndexOf(':') + 1)..] + "\"";
        try
        {
            int lineNumber = 0;
            foreach (var line in File.ReadLines(path))
            {
                lineNumber++;
                int at = line.IndexOf(needle, StringComparison.OrdinalIgnoreCase);
                if (at >= 0) return (lineNumber, at + 1);
            }
        }
        catch (IOException)
        {
        }
        return (1, 1);
    }
}
