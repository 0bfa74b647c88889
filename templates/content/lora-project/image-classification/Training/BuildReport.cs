using System.Text.Json;

namespace Company.LoraProject.Training;

/// <summary>
/// The line `dotnet build` reads from this program (LoraSdk's trainer/build contract, as LoraSdk's own hosted trainer
/// writes it): <c>lora-result: {json}</c> at the end. The build shows it at normal verbosity as
/// <c>fashion: adapter written to … (train loss …, validation accuracy 80.0 % (base model 10.0 %))</c>.
/// </summary>
public static class BuildReport
{
    public static void Result(string adapter, double? trainLoss, double? validationAccuracy, double? baselineValidationAccuracy, TimeSpan elapsed)
    {
        var payload = new
        {
            adapter,
            trainLoss = trainLoss is { } t && double.IsFinite(t) ? Math.Round(t, 6) : (double?)null,
            validationAccuracy,
            baselineValidationAccuracy,
            seconds = Math.Round(elapsed.TotalSeconds, 2),
        };
        Console.WriteLine("lora-result: " + JsonSerializer.Serialize(payload));
    }
}
