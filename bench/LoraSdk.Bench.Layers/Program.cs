using LoraSdk;
using LoraSdk.Bench.Layers;
using TorchSharp;
using static TorchSharp.torch;

// Linear 1024×1024, input 64×128 tokens, rank 8: the goals of issue 3 are
// unmerged forward ≤ 1.10× base, merged forward ≤ 1.02× base, LoRA forward+backward ≤ 0.75× full fine-tuning.
int rounds = args.Length > 0 ? int.Parse(args[0]) : 15;
const int warmup = 3;
const long dim = 1024, batch = 64, tokens = 128;

manual_seed(0);
using var baseLayer = nn.Linear(dim, dim);
using var loraLayer = nn.Linear(dim, dim);
using (no_grad()) { loraLayer.weight!.copy_(baseLayer.weight!); loraLayer.bias!.copy_(baseLayer.bias!); }

var plain = new PlainLinear(baseLayer);
var adapted = new AdaptedLinear(loraLayer);
using (no_grad())
    foreach (var (_, p) in adapted.LoraParameters()) p.normal_(0, 0.02);   // a trained adapter, not B = 0
using var x = randn(batch, tokens, dim);

Console.WriteLine($"torch threads: {get_num_threads()}, rounds: {rounds} (median), input {batch}×{tokens}×{dim}, rank 8, " +
                  $"load average at start: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

// Inference: no autograd, dispose every output at once.
void Forward(nn.Module<Tensor, Tensor> model)
{
    using var _ = no_grad();
    using var y = model.call(x);
}

var inference = Timing.MedianMilliseconds(warmup, rounds,
    ("base", () => Forward(plain)),
    ("lora", () => Forward(adapted)));
adapted.Merge();
var merged = Timing.MedianMilliseconds(warmup, rounds,
    ("base", () => Forward(plain)),
    ("merged", () => Forward(adapted)));
adapted.Unmerge();

// Training step of the layer inside a network: the input needs a gradient too.
void Step(nn.Module<Tensor, Tensor> model)
{
    using var scope = NewDisposeScope();
    var input = x.detach().requires_grad_(true);
    model.call(input).sum().backward();
    model.zero_grad();
}

plain.train();
adapted.train();
foreach (var p in plain.parameters()) p.requires_grad = false;
var frozen = Timing.MedianMilliseconds(warmup, rounds, ("frozen", () => Step(plain)));
foreach (var p in plain.parameters()) p.requires_grad = true;   // full fine-tuning of the same layer
var training = Timing.MedianMilliseconds(warmup, rounds,
    ("full", () => Step(plain)),
    ("lora", () => Step(adapted)));

Console.WriteLine();
Console.WriteLine("| measurement | time (ms, median) | ratio | goal |");
Console.WriteLine("| --- | --- | --- | --- |");
Row("forward, base layer", inference["base"], null, null);
Row("forward, LoRA unmerged", inference["lora"], inference["lora"] / inference["base"], "≤ 1.10");
Row("forward, base layer (merged run)", merged["base"], null, null);
Row("forward, LoRA merged", merged["merged"], merged["merged"] / merged["base"], "≤ 1.02");
Row("forward+backward, full fine-tuning", training["full"], null, null);
Row("forward+backward, LoRA", training["lora"], training["lora"] / training["full"], "≤ 0.75");
Row("forward+backward, frozen base alone (no LoRA)", frozen["frozen"], frozen["frozen"] / training["full"], null);

static void Row(string name, double ms, double? ratio, string? goal) =>
    Console.WriteLine($"| {name} | {ms:0.0} | {(ratio is { } r ? r.ToString("0.000") + "×" : "")} | {goal ?? ""} |");
