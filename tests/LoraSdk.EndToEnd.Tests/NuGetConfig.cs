namespace LoraSdk.EndToEnd.Tests;

/// <summary>The NuGet.config of a test project: a folder feed of packed packages first, then nuget.org.</summary>
internal static class NuGetConfig
{
    public static void Write(string directory, string feed) =>
        File.WriteAllText(Path.Combine(directory, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="lorasdk-feed" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
}
