using System.Diagnostics;
using System.Globalization;
using LoraSdk.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Bench.ResNet;

/// <summary>
/// Where the unmerged network's extra time lies (development evidence, <c>speed --per-layer</c>): for each of the
/// 22 adapted convolutions, on the input it sees in the network, the base convolution, LoRA's A convolution (rank r,
/// the target's kernel and stride), its B convolution (1×1), the scaled add, and the adapter's whole forward as the
/// model runs it (unmerged, no gradients). Rounds interleave every piece of every layer in a random order; each
/// figure is the median over rounds of one call.
/// </summary>
internal static class PerLayerSpeedBench
{
    private static readonly string[] Pieces = ["base", "A", "B", "add", "adapter"];

    public static int Run(Arguments a)
    {
        int batch = a.Int("batch", 4), side = a.Int("size", 224), rounds = a.Int("rounds", 20);
        var (model, input) = Pretrained.ForInference(a, batch, side);
        using var _ = model;
        using var __ = input;
        using var noGrad = no_grad();
        var layers = AdapterInputs.Capture(model, input).Select(c => new Layer(c.Path, c.Adapter, c.Input)).ToList();

        var times = layers.ToDictionary(l => l.Path, _ => Pieces.ToDictionary(p => p, _ => new List<double>()));
        var random = new Random(a.Int("seed", 7));
        var work = layers.SelectMany(l => Pieces.Select(p => (Layer: l, Piece: p))).ToArray();
        for (int round = 0; round <= rounds; round++)
        {
            random.Shuffle(work);
            foreach (var (layer, piece) in work)
            {
                double seconds = layer.Time(piece);
                if (round > 0) times[layer.Path][piece].Add(seconds); // round 0 warms up
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Per adapted convolution, {side}×{side}, batch {batch}, {get_num_threads()} thread(s), median of {rounds} rounds (ms):"));
        Console.WriteLine("| convolution | input | base | A | B | add | A+B+add | adapter forward | adapter / base |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var total = Pieces.ToDictionary(p => p, _ => 0.0);
        foreach (var layer in layers)
        {
            var m = Pieces.ToDictionary(p => p, p => 1000 * RatioStatistics.Quantile(times[layer.Path][p], 0.5));
            foreach (var p in Pieces) total[p] += m[p];
            Console.WriteLine(Row(layer.Path, layer.Shape, m));
        }
        Console.WriteLine(Row("**all 22**", "", total));
        double extra = total["A"] + total["B"] + total["add"];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Unmerged extra (A + B + add) = {extra / total["base"]:P1} of the base convolutions' time: A {total["A"] / extra:P0}, B {total["B"] / extra:P0}, add {total["add"] / extra:P0} of it. The adapters' forwards take {total["adapter"] / total["base"]:F3}× the base convolutions."));
        foreach (var layer in layers) layer.Dispose();
        return 0;
    }

    private static string Row(string name, string shape, Dictionary<string, double> m) =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {shape} | {m["base"]:F2} | {m["A"]:F2} | {m["B"]:F2} | {m["add"]:F2} | {m["A"] + m["B"] + m["add"]:F2} | {m["adapter"]:F2} | {m["adapter"] / m["base"]:F3}× |");

    /// <summary>One adapted convolution with its input and the intermediate tensors its pieces take.</summary>
    private sealed class Layer : IDisposable
    {
        private readonly LoraAdapter _adapter;
        private readonly nn.Module<Tensor, Tensor> _down;
        private readonly nn.Module<Tensor, Tensor> _up;
        private readonly Tensor _input;
        private readonly Tensor _downOutput;
        private readonly Tensor _update;
        private readonly Tensor _sum;

        public Layer(string path, LoraAdapter adapter, Tensor input)
        {
            Path = path;
            _adapter = adapter;
            _input = input;
            var children = adapter.named_children().ToDictionary(c => c.name, c => c.module);
            _down = (nn.Module<Tensor, Tensor>)children["lora_A"];
            _up = (nn.Module<Tensor, Tensor>)children["lora_B"];
            _downOutput = _down.forward(input);
            _update = _up.forward(_downOutput);
            _sum = adapter.BaseForward(input);
            Shape = string.Join("×", input.shape.Skip(1));
        }

        public string Path { get; }

        public string Shape { get; }

        public double Time(string piece)
        {
            var clock = Stopwatch.StartNew();
            switch (piece)
            {
                case "base": using (_adapter.BaseForward(_input)) { } break;
                case "A": using (_down.forward(_input)) { } break;
                case "B": using (_up.forward(_downOutput)) { } break;
                case "add": _sum.add_(_update, alpha: _adapter.Scaling); break; // in place, as the adapter adds
                case "adapter": using (_adapter.forward(_input)) { } break;
            }
            return clock.Elapsed.TotalSeconds;
        }

        public void Dispose()
        {
            _input.Dispose();
            _downOutput.Dispose();
            _update.Dispose();
            _sum.Dispose();
        }
    }
}
