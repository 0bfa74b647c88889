using LoraSdk.Hosting;
using LoraSdk.Training.TestHost;
using Microsoft.Extensions.Hosting;

namespace LoraSdk.Training.Tests.Hosting;

/// <summary>Tests that swap the process-wide console writers or environment: never run in parallel with each other.</summary>
[CollectionDefinition(nameof(ConsoleCapture), DisableParallelization = true)]
public sealed class ConsoleCapture;

/// <summary>Runs the fine-tuning host in this process with a content root (for appsettings.json) and captures stderr.</summary>
public static class InProcessHost
{
    public static async Task<(int ExitCode, string Stderr)> RunAsync(string contentRoot, params string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = contentRoot });
        builder.Services.AddLoraFineTuning(context => new TinyCausalLm(context.Lora, context.Tokenizer.VocabularySize));
        var host = builder.Build();
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            int exitCode = await host.RunLoraFineTuningAsync();
            return (exitCode, error.ToString());
        }
        finally
        {
            Console.SetError(original);
        }
    }
}
