using System.Diagnostics;
using System.Globalization;
using LoraSdk.Models;
using static TorchSharp.torch;

namespace LoraSdk.Bench.ResNet;

/// <summary>LoRA training step time (forward, backward, AdamW update) by input side, to choose the image size.</summary>
internal static class StepTimeBench
{
    public static int Run(Arguments a)
    {
        int batch = a.Int("batch", 32), steps = a.Int("steps", 5);
        var (model, preprocessing) = Pretrained.Load(a);
        using var _ = model;
        using var __ = preprocessing;
        model.FreezeBase(ResNet18.HeadName);
        var parameters = model.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = optim.AdamW(parameters, 1e-3);
        model.train();
        Console.WriteLine("| side | batch | median step | per image |");
        foreach (int side in a.Ints("sizes", "32,64,96,128,160,224"))
        {
            using var images = rand(batch, 3, side, side) * 255;
            using var labels = randint(10, [batch]);
            var times = new List<double>();
            for (int i = 0; i < steps + 1; i++)
            {
                var clock = Stopwatch.StartNew();
                using (var scope = NewDisposeScope())
                {
                    var loss = nn.functional.cross_entropy(model.call(preprocessing.Apply(images)), labels);
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                }
                if (i > 0) times.Add(clock.Elapsed.TotalSeconds); // the first step warms up
            }
            double median = times.Order().ElementAt(times.Count / 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {side} | {batch} | {median:F3} s | {1000 * median / batch:F1} ms |"));
        }
        return 0;
    }
}
