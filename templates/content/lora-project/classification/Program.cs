// Company.LoraProject: LoRA fine-tuning of the pretrained MiniLM encoder to sort support tickets into intents.
//
//   dotnet build                                        trains the adapter (the csproj's LoraFineTune item runs `train`)
//   dotnet run -- predict "my card was charged twice"   prints the intent and its confidence
//   dotnet run -- train [--LoRA:Epochs=3 ...]           trains by hand; any "LoRA" setting can be overridden
using Company.LoraProject.Model;
using Company.LoraProject.Prediction;
using LoraSdk.Hosting;
using LoraSdk.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

switch (args)
{
    case ["train", .. var settings]:
    {
        var builder = Host.CreateApplicationBuilder(settings);
        PretrainedMiniLm.ExtractVocabulary(builder.Configuration["LoRA:VocabularyFile"] ?? "obj/minilm/vocab.txt");
        builder.Services.AddLoraFineTuning(
            context => SupportTicketClassifier.FromPretrained(context.Labels!.Count),
            LoraTask.SequenceClassification);
        return await builder.Build().RunLoraFineTuningAsync();
    }
    case ["predict", var text, .. var settings]:
    {
        // Configuration and the adapter come from the app's own folder (bin/... or the publish folder), not the working directory.
        var builder = LoraAppHost.CreateApplicationBuilder(settings);
        builder.Services.AddSingleton<IntentPredictor>();
        using var host = builder.Build();
        return host.Services.GetRequiredService<IntentPredictor>().Run(text);
    }
    default:
        Console.Error.WriteLine("usage: dotnet run -- train [--LoRA:Key=Value ...]");
        Console.Error.WriteLine("       dotnet run -- predict \"<support message>\" [--LoRA:Key=Value ...]");
        return 1;
}
