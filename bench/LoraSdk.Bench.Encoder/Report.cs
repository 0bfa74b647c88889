using System.Globalization;

namespace LoraSdk.Bench.Encoder;

/// <summary>The benchmark table for docs/benchmarks.md, with the goals of issue 5 checked.</summary>
internal static class Report
{
    public static string Markdown(BenchShape shape, BenchSettings settings, TrainStepBench.Result lora, TrainStepBench.Result full,
        InferenceBench.Result inference)
    {
        double loraFlops = MatmulFlops.Forward(shape, lora: true) + MatmulFlops.LoraBackward(shape);
        double fullFlops = MatmulFlops.Forward(shape, lora: false) + MatmulFlops.FullBackward(shape);
        double loraFloor = loraFlops / (lora.MatmulGigaflops * 1e9) * 1000;
        double fullFloor = fullFlops / (full.MatmulGigaflops * 1e9) * 1000;
        double stepRatio = lora.MedianStepMilliseconds / full.MedianStepMilliseconds;
        double rssRatio = (double)lora.PeakRssBytes / full.PeakRssBytes;
        double mergedRatio = inference.MergedMilliseconds / inference.BaseMilliseconds;
        double unmergedRatio = inference.UnmergedMilliseconds / inference.BaseMilliseconds;
        double floorRatio = lora.MedianStepMilliseconds / loraFloor;

        string Check(bool ok) => ok ? "met" : "**missed**";
        var c = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Create(c, $"Encoder {shape.Config.NumLayers} layers, d = {shape.Config.HiddenSize}, batch {shape.Batch} × {shape.Length}; {settings.Threads} threads; median of {settings.Steps} steps / 3 × {settings.Runs} forwards after {settings.Warmup} warm-up."),
            "",
            "| training step | median | trainable parameters | peak RSS | matmul GFLOP | matmul floor |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            string.Create(c, $"| {lora.Mode} | {lora.MedianStepMilliseconds:F0} ms | {lora.TrainableParameters:N0} | {lora.PeakRssBytes / 1048576.0:F0} MiB | {loraFlops / 1e9:F1} | {loraFloor:F0} ms |"),
            string.Create(c, $"| {full.Mode} | {full.MedianStepMilliseconds:F0} ms | {full.TrainableParameters:N0} | {full.PeakRssBytes / 1048576.0:F0} MiB | {fullFlops / 1e9:F1} | {fullFloor:F0} ms |"),
            "",
            "| inference (forward, no grad) | median | vs base |",
            "| --- | ---: | ---: |",
            string.Create(c, $"| base (adapters off) | {inference.BaseMilliseconds:F1} ms | 1.00× |"),
            string.Create(c, $"| LoRA unmerged | {inference.UnmergedMilliseconds:F1} ms | {unmergedRatio:F3}× |"),
            string.Create(c, $"| LoRA merged | {inference.MergedMilliseconds:F1} ms | {mergedRatio:F3}× |"),
            "",
            string.Create(c, $"Float32 matmul rate on the encoder's GEMM shapes, measured in each training process before its steps: {lora.MatmulGigaflops:F1} GFLOP/s (LoRA run), {full.MatmulGigaflops:F1} GFLOP/s (full run); floor = matmul GFLOP / that rate."),
            "",
            "| goal (issue 5) | measured | |",
            "| --- | ---: | --- |",
            string.Create(c, $"| LoRA step ≤ 0.65× full fine-tuning | {stepRatio:F2}× | {Check(stepRatio <= 0.65)} |"),
            string.Create(c, $"| LoRA peak RSS ≤ 0.6× full fine-tuning | {rssRatio:F2}× | {Check(rssRatio <= 0.6)} |"),
            string.Create(c, $"| merged ≤ 1.02× base | {mergedRatio:F3}× | {Check(mergedRatio <= 1.02)} |"),
            string.Create(c, $"| unmerged ≤ 1.10× base | {unmergedRatio:F3}× | {Check(unmergedRatio <= 1.10)} |"),
            string.Create(c, $"| LoRA step within 1.5× of its matmul floor | {floorRatio:F2}× | {Check(floorRatio <= 1.5)} |"),
        };
        return string.Join(Environment.NewLine, lines);
    }
}
