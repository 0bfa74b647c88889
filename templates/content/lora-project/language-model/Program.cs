// Company.LoraProject: LoRA fine-tuning of a small byte-level language model on the text in data/.
//
//   dotnet build                                  trains the adapter (the csproj's LoraFineTune item runs `train`)
//   dotnet run -- predict "Thanks for reaching"   continues the text with the fine-tuned model
//   dotnet run -- train [--LoRA:Epochs=3 ...]     trains by hand; any "LoRA" setting can be overridden
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
        builder.Services.AddLoraFineTuning(_ => TinyLanguageModel.Create(), LoraTask.CausalLanguageModeling);
        return await builder.Build().RunLoraFineTuningAsync();
    }
    case ["predict", var prompt, .. var settings]:
    {
        // Configuration and the adapter come from the app's own folder (bin/... or the publish folder), not the working directory.
        var builder = LoraAppHost.CreateApplicationBuilder(settings);
        builder.Services.AddSingleton<TextGenerator>();
        using var host = builder.Build();
        return host.Services.GetRequiredService<TextGenerator>().Run(prompt);
    }
    default:
        Console.Error.WriteLine("usage: dotnet run -- train [--LoRA:Key=Value ...]");
        Console.Error.WriteLine("       dotnet run -- predict \"<start of a text>\" [--LoRA:Key=Value ...]");
        return 1;
}
