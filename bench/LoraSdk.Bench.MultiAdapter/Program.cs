using System.Globalization;
using LoraSdk;
using LoraSdk.Bench.Encoder;
using LoraSdk.Models;
using static TorchSharp.torch;

// Serving many adapters on one base (LoRAX / S-LoRA style): the MiniLM-shaped encoder (random weights: timing does
// not depend on them) with N named adapters (r = 8 on query/value), eval mode, no grad. Per round, each variant
// serves the same batch of B requests, request i using adapter i mod N:
//   single    one forward of B rows, all with one adapter (the target: mixed within 1.3x of this)
//   mixed     one forward of B rows, each row with its own adapter (UseAdapterPerRow)
//   separate  N forwards, one batch per adapter (UseAdapter per group)
//   switching B forwards of one row each, switching the adapter per request
// Usage: dotnet LoraSdk.Bench.MultiAdapter.dll [--adapters 8] [--batch 32] [--length 64] [--rounds 3] [--warmup 2] [--runs 5] [--threads 0]

var options = Arguments.Parse(args);
if (options.Threads > 0) set_num_threads(options.Threads);
manual_seed(1);
using var model = new BertModel(BertConfig.MiniLmL6);
model.eval();
string[] names = [.. Enumerable.Range(0, options.Adapters).Select(i => $"tenant{i}")];
foreach (var name in names)
{
    model.AddAdapter(name, new LoraOptions(rank: 8, alpha: 16));
    using var scope = model.UseAdapter(name);
    using var _ = no_grad();
    foreach (var (_, p) in model.LoraParameters()) p.normal_(0, 0.02);
}

using var ids = randint(1, 30000, [options.Batch, options.Length], dtype: ScalarType.Int64);
using var mask = ones(options.Batch, options.Length, dtype: ScalarType.Int64);
string[] rowAdapters = [.. Enumerable.Range(0, options.Batch).Select(i => names[i % names.Length])];

void Forward(Tensor batchIds, Tensor batchMask)
{
    using var scope = NewDisposeScope();
    using var _ = no_grad();
    model.call(batchIds, batchMask);
}

void Single()
{
    using var scope = model.UseAdapter(names[0]);
    Forward(ids, mask);
}

void Mixed()
{
    using var scope = model.UseAdapterPerRow(rowAdapters);
    Forward(ids, mask);
}

void Separate()
{
    for (int a = 0; a < names.Length; a++)
    {
        using var rows = tensor(Enumerable.Range(0, options.Batch).Where(i => i % names.Length == a).Select(i => (long)i).ToArray());
        if (rows.numel() == 0) continue;
        using var groupIds = ids.index_select(0, rows);
        using var groupMask = mask.index_select(0, rows);
        using var scope = model.UseAdapter(names[a]);
        Forward(groupIds, groupMask);
    }
}

void Switching()
{
    for (int i = 0; i < options.Batch; i++)
    {
        using var rowIds = ids[i..(i + 1)];
        using var rowMask = mask[i..(i + 1)];
        using var scope = model.UseAdapter(rowAdapters[i]);
        Forward(rowIds, rowMask);
    }
}

var variants = new (string Name, Action Run)[] { ("single", Single), ("mixed", Mixed), ("separate", Separate), ("switching", Switching) };
var times = variants.ToDictionary(v => v.Name, _ => new List<double>());
for (int round = 0; round < options.Rounds; round++)
    foreach (var (name, run) in variants) times[name].AddRange(Timing.Milliseconds(run, options.Warmup, options.Runs));

var inv = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(inv, $"{options.Adapters} adapters, batch {options.Batch} x {options.Length} tokens, {get_num_threads()} threads; median ms per batch of {options.Batch} requests:"));
double single = Timing.Median(times["single"]);
foreach (var (name, _) in variants)
{
    double median = Timing.Median(times[name]);
    Console.WriteLine(string.Create(inv, $"  {name,-10} {median,9:F1} ms   {median / single,5:F2}x single"));
}

// Memory: parameter bytes, which do not depend on machine load.
long Bytes(IEnumerable<Tensor> tensors) => tensors.Sum(t => t.numel() * t.element_size());
long total = Bytes(model.parameters());
long perAdapter = Bytes(model.LoraParameters().Select(p => p.Parameter));
long baseBytes = total - (options.Adapters + 1) * perAdapter;
Console.WriteLine(string.Create(inv,
    $"memory: base {baseBytes / 1e6:F2} MB, one adapter {perAdapter / 1e3:F1} kB, {options.Adapters + 1} adapters (incl. default) {total / 1e6:F2} MB = base + {options.Adapters + 1} x adapter; peak RSS {Timing.PeakRssBytes() / 1e6:F0} MB"));

internal sealed record Arguments(int Adapters, int Batch, int Length, int Rounds, int Warmup, int Runs, int Threads)
{
    public static Arguments Parse(string[] args)
    {
        var values = new Dictionary<string, int>
        {
            ["--adapters"] = 8, ["--batch"] = 32, ["--length"] = 64, ["--rounds"] = 3, ["--warmup"] = 2, ["--runs"] = 5, ["--threads"] = 0,
        };
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!values.ContainsKey(args[i]) || i + 1 >= args.Length || !int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out int value) || value < 0)
                throw new ArgumentException($"Unknown option or bad value at '{args[i]}'. Options: {string.Join(", ", values.Keys)} followed by a number.");
            values[args[i]] = value;
        }
        if (values["--adapters"] < 1 || values["--batch"] < 1 || values["--length"] < 1 || values["--runs"] < 1 || values["--rounds"] < 1)
            throw new ArgumentException("--adapters, --batch, --length, --rounds and --runs must be at least 1.");
        return new Arguments(values["--adapters"], values["--batch"], values["--length"], values["--rounds"], values["--warmup"], values["--runs"], values["--threads"]);
    }
}
