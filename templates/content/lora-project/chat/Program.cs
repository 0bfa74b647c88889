// Company.LoraProject: LoRA fine-tuning of a HuggingFace decoder LLM (Llama, Mistral, Qwen2, SmolLM) on the
// conversations in data/, with the model folder named by Model:Path in appsettings.json.
//
//   dotnet build                                trains the adapter (the csproj's LoraFineTune item runs `train`)
//   dotnet run -- chat "How do I export a note?"  answers with the fine-tuned adapter, token by token
//   dotnet run -- chat                          a conversation: one message per line; an empty line, "exit" or end of input ends it
//   dotnet run -- train [--LoRA:Epochs=3 ...]   trains by hand; any "LoRA", "Chat" or "Model" setting can be overridden
using Company.LoraProject.Chat;
using LoraSdk.Hosting;
using LoraSdk.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

switch (args)
{
    case ["train", .. var settings]:
    {
        var builder = Host.CreateApplicationBuilder(settings);
        builder.Services.AddLoraChatFineTuning();
        return await builder.Build().RunLoraFineTuningAsync();
    }
    case ["chat", .. var rest]:
    {
        // A first argument that is not a --Key=Value setting is the message; without one the session is interactive.
        string? message = rest is [var first, ..] && !first.StartsWith("--", StringComparison.Ordinal) ? first : null;
        // Configuration and the adapter come from the app's own folder (bin/... or the publish folder), not the working directory.
        var builder = LoraAppHost.CreateApplicationBuilder(message is null ? rest : rest[1..]);
        builder.Services.AddSingleton<Assistant>();
        using var host = builder.Build();
        return await host.Services.GetRequiredService<Assistant>().RunAsync(message);
    }
    default:
        Console.Error.WriteLine("usage: dotnet run -- train [--LoRA:Key=Value ...]");
        Console.Error.WriteLine("       dotnet run -- chat [\"<message>\"] [--Model:Path=<model folder>] [--Chat:MaxNewTokens=64 ...]");
        return 1;
}
