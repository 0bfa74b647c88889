using LoraSdk.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LoraSdk.Training.Tests.Hosting;

/// <summary>The prediction side's host reads configuration relative to the app, not the working directory.</summary>
public class LoraAppHostTests
{
    [Fact]
    public void Content_root_is_the_app_folder_and_LoRA_paths_resolve_against_it()
    {
        var builder = LoraAppHost.CreateApplicationBuilder(["--LoRA:VocabularyFile=vocab/vocab.txt", "--LoRA:Rank=4"]);
        using var host = builder.Build();

        Assert.Equal(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory),
            Path.TrimEndingDirectorySeparator(host.Services.GetRequiredService<IHostEnvironment>().ContentRootPath));
        var options = host.Services.GetRequiredService<IOptions<LoraFineTuningOptions>>().Value;
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "vocab", "vocab.txt"), options.VocabularyFile);
        Assert.Equal(4, options.Adapter.Rank);
    }
}
