// Company.LoraProject: LoRA fine-tuning of a pretrained ResNet-18 to recognise Fashion-MNIST garments.
//
//   dotnet build                                  trains the adapter (the csproj's LoraFineTune item runs `train`)
//   dotnet run -- predict path/to/image.png       prints the label and its confidence
//   dotnet run -- train [--LoRA:Epochs=2 ...]     trains by hand; any "LoRA" setting can be overridden
using Company.LoraProject.Data;
using Company.LoraProject.Prediction;
using Company.LoraProject.Training;
using LoraSdk.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

switch (args)
{
    case ["train", .. var overrides]:
        return Run(overrides, ImageFineTuning.Run);
    case ["predict", var image, .. var overrides]:
        // Settings come from the app's own folder (bin/... or the publish folder), as the adapter does.
        return Run(overrides, (settings, _) => ImagePredictor.Run(settings, image), LoraAppHost.CreateApplicationBuilder);
    default:
        Console.Error.WriteLine("usage: dotnet run -- train [--LoRA:Key=Value ...]");
        Console.Error.WriteLine("       dotnet run -- predict <image file> [--LoRA:Key=Value ...]");
        return 1;
}

// appsettings.json, environment and command line, as the generic host reads them.
static int Run(string[] overrides, Func<FineTuneSettings, IConfiguration, int> command, Func<string[], HostApplicationBuilder>? createBuilder = null)
{
    var builder = (createBuilder ?? Host.CreateApplicationBuilder)(overrides);
    var settings = builder.Configuration.GetSection(FineTuneSettings.SectionName).Get<FineTuneSettings>() ?? new FineTuneSettings();
    settings.ResolvePaths(builder.Environment.ContentRootPath);
    try
    {
        return command(settings, builder.Configuration);
    }
    catch (ImageDataException e)
    {
        Console.Error.WriteLine(e.Message);
        return 1;
    }
    catch (InvalidOperationException e) // e.g. a non-finite loss or gradient: one MSBuild-style error line, no stack trace
    {
        Console.Error.WriteLine($"error LORA231: {e.Message}");
        return 1;
    }
}
