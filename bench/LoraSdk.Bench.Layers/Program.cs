using LoraSdk;
using LoraSdk.Bench.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

// Linear 1024×1024, input 64×128 tokens, rank 8. Goals (issues 3, 11): unmerged forward ≤ 1.10× base,
// merged forward ≤ 1.01× base, LoRA forward+backward ≤ 0.80× full fine-tuning of the same layer (the generated,
// fused autograd node; the same update through autograd's composite graph is timed beside it).
// Usage: LoraSdk.Bench.Layers [rounds = 15] [torch threads = all]
int rounds = args.Length > 0 ? int.Parse(args[0]) : 15;
if (args.Length > 1) set_num_threads(int.Parse(args[1]));
const int warmup = 3;
const long dim = 1024, batch = 64, tokens = 128;

manual_seed(0);
using var template = nn.Linear(dim, dim);
Linear CopyOfTemplate()
{
    var copy = nn.Linear(dim, dim);
    using (no_grad()) { copy.weight!.copy_(template.weight!); copy.bias!.copy_(template.bias!); }
    return copy;
}

// Every variant has its own layer, so all of them can be timed interleaved in one loop.
var plain = new PlainLinear(CopyOfTemplate());
var fullFineTuning = new PlainLinear(CopyOfTemplate());
var frozenBase = new PlainLinear(CopyOfTemplate());
foreach (var p in frozenBase.parameters()) p.requires_grad = false;
var adapted = new AdaptedLinear(CopyOfTemplate());
var merged = new AdaptedLinear(CopyOfTemplate());
foreach (var model in new[] { adapted, merged })
    using (no_grad())
        foreach (var (_, p) in model.LoraParameters()) p.normal_(0, 0.02);   // a trained adapter, not B = 0
merged.Merge();
var composite = new CompositeLoraLinear(CopyOfTemplate(), rank: 8);
composite.CopyFactors(adapted.LoraParameters().Select(p => p.Parameter));
using var x = randn(batch, tokens, dim);
// A dense upstream gradient, as from a real loss (sum().backward() alone would hand back an expanded,
// stride-0 gradient that sends the low-rank GEMMs down a slow path no training step sees).
using var upstream = randn(batch, tokens, dim);

Console.WriteLine($"torch threads: {get_num_threads()}, rounds: {rounds} (median), input {batch}×{tokens}×{dim}, rank 8, " +
                  $"load average at start: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

void Forward(nn.Module<Tensor, Tensor> model)
{
    using var _ = no_grad();
    using var y = model.call(x);
}

// A training step of the layer inside a network: its input needs a gradient too.
void Step(nn.Module<Tensor, Tensor> model)
{
    using var scope = NewDisposeScope();
    var input = x.detach().requires_grad_(true);
    model.call(input).mul(upstream).sum().backward();
    model.zero_grad();
}

var inference = Timing.MedianMilliseconds(warmup, rounds,
    ("base", () => Forward(plain)),
    ("lora", () => Forward(adapted)),
    ("merged", () => Forward(merged)));
var training = Timing.MedianMilliseconds(warmup, rounds,
    ("full", () => Step(fullFineTuning)),
    ("lora", () => Step(adapted)),
    ("composite", () => Step(composite)),
    ("frozen", () => Step(frozenBase)));

// The adapter lookup every intercepted call makes (LoraRouter's weak table, then the host's active adapter),
// timed alone over a million calls and set against the merged forward it precedes.
var target = (nn.Module)adapted.named_modules().Single(m => m.name == "layer").module;
const int lookups = 1_000_000;
var lookupClock = System.Diagnostics.Stopwatch.StartNew();
for (int i = 0; i < lookups; i++) LoraRouter.TryGetAdapter(target, out _);
double lookupNanoseconds = lookupClock.Elapsed.TotalMilliseconds * 1e6 / lookups;

Console.WriteLine();
Console.WriteLine("| measurement | time (ms, median) | ratio | goal |");
Console.WriteLine("| --- | --- | --- | --- |");
Row("forward, base layer", inference["base"], null, null);
Row("forward, LoRA unmerged", inference["lora"], inference["lora"] / inference["base"], "≤ 1.10");
Row("forward, LoRA merged", inference["merged"], inference["merged"] / inference["base"], "≤ 1.01");
Console.WriteLine($"| adapter lookup per intercepted call | {lookupNanoseconds:0.0} ns | {lookupNanoseconds / (inference["merged"] * 1e6):0.0e0} of a merged forward | |");
Row("forward+backward, full fine-tuning", training["full"], null, null);
Row("forward+backward, LoRA (generated: fused node)", training["lora"], training["lora"] / training["full"], "≤ 0.80");
Row("forward+backward, LoRA through autograd's composite graph", training["composite"], training["composite"] / training["full"], "(before)");
Row("forward+backward, frozen base without LoRA", training["frozen"], training["frozen"] / training["full"], "(floor)");

static void Row(string name, double ms, double? ratio, string? goal) =>
    Console.WriteLine($"| {name} | {ms:0.0} | {(ratio is { } r ? r.ToString("0.000") + "×" : "")} | {goal ?? ""} |");
