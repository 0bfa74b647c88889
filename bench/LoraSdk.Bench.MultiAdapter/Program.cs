using System.Globalization;
using LoraSdk;
using LoraSdk.Bench.Encoder;
using LoraSdk.Models;
using static TorchSharp.torch;

// Serving many adapters on one base (LoRAX / S-LoRA / Punica style): the MiniLM-shaped encoder (random weights: timing
// does not depend on them) with named adapters (r = 8, alpha = 16 on query/value), eval mode, no grad. For each count N
// of distinct adapters (--adapters, default 8,32,128) a batch of max(--batch, N) requests, request i using adapter
// i mod N, is served by each variant, the variants interleaved within every round:
//   merged    the base with one adapter merged into its weights (no LoRA compute: the floor)
//   single    one forward, every row with the same adapter, unmerged
//   mixed     one forward, each row with its own adapter (UseAdapterPerRow: on Linear layers the rows' A and B are
//             gathered and applied in two bmm calls, BatchedLinearUpdate)
//   separate  (--extra 1) one forward per adapter on its rows (UseAdapter per group)
//   switching (--extra 1) one forward per request, switching the adapter each time
// Issue #25 goal at 32 rows: mixed <= 1.10x single and <= 1.25x merged.
// Usage: dotnet LoraSdk.Bench.MultiAdapter.dll [--adapters 8,32,128] [--batch 32] [--length 64] [--rounds 3] [--warmup 2] [--runs 5] [--threads 0] [--extra 0]

var options = Arguments.Parse(args);
if (options.Threads > 0) set_num_threads(options.Threads);
int most = options.Adapters.Max();
string[] names = [.. Enumerable.Range(0, most).Select(i => $"tenant{i}")];

manual_seed(1);
using var model = new BertModel(BertConfig.MiniLmL6);
model.eval();
foreach (var name in names)
{
    model.AddAdapter(name, new LoraOptions(rank: 8, alpha: 16));
    using var scope = model.UseAdapter(name);
    using var _ = no_grad();
    foreach (var (_, p) in model.LoraParameters()) p.normal_(0, 0.02);
}

// The same base (same seed) with one adapter merged: what a server with a single customer would run.
manual_seed(1);
using var merged = new BertModel(BertConfig.MiniLmL6);
merged.eval();
using (no_grad()) foreach (var (_, p) in merged.LoraParameters()) p.normal_(0, 0.02);
merged.MergeLoRA();

var inv = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(inv, $"MiniLM-shaped encoder, r = 8 on query/value, {options.Length} tokens per request, {get_num_threads()} threads; median ms per batch over {options.Rounds} interleaved rounds of {options.Runs} runs"));
Console.WriteLine("| distinct adapters | rows | merged ms | single ms | mixed ms | mixed / single | mixed / merged |" + (options.Extra ? " separate ms | switching ms |" : ""));
Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |" + (options.Extra ? " --- | --- |" : ""));
foreach (int count in options.Adapters)
{
    int rows = Math.Max(options.Batch, count);
    using var ids = randint(1, 30000, [rows, options.Length], dtype: ScalarType.Int64);
    using var mask = ones(rows, options.Length, dtype: ScalarType.Int64);
    string[] rowAdapters = [.. Enumerable.Range(0, rows).Select(i => names[i % count])];

    void Forward(BertModel m, Tensor batchIds, Tensor batchMask)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        m.call(batchIds, batchMask);
    }

    void Merged() => Forward(merged, ids, mask);

    void Single()
    {
        using var scope = model.UseAdapter(names[0]);
        Forward(model, ids, mask);
    }

    void Mixed()
    {
        using var scope = model.UseAdapterPerRow(rowAdapters);
        Forward(model, ids, mask);
    }

    void Separate()
    {
        for (int a = 0; a < count; a++)
        {
            using var group = tensor(Enumerable.Range(0, rows).Where(i => i % count == a).Select(i => (long)i).ToArray());
            using var groupIds = ids.index_select(0, group);
            using var groupMask = mask.index_select(0, group);
            using var scope = model.UseAdapter(names[a]);
            Forward(model, groupIds, groupMask);
        }
    }

    void Switching()
    {
        for (int i = 0; i < rows; i++)
        {
            using var rowIds = ids[i..(i + 1)];
            using var rowMask = mask[i..(i + 1)];
            using var scope = model.UseAdapter(rowAdapters[i]);
            Forward(model, rowIds, rowMask);
        }
    }

    var variants = new List<(string Name, Action Run)> { ("merged", Merged), ("single", Single), ("mixed", Mixed) };
    if (options.Extra) variants.AddRange([("separate", Separate), ("switching", Switching)]);
    var times = variants.ToDictionary(v => v.Name, _ => new List<double>());
    for (int round = 0; round < options.Rounds; round++)
        foreach (var (name, run) in variants) times[name].AddRange(Timing.Milliseconds(run, options.Warmup, options.Runs));
    double Ms(string name) => Timing.Median(times[name]);
    string extra = options.Extra ? string.Create(inv, $" {Ms("separate"):F1} | {Ms("switching"):F1} |") : "";
    Console.WriteLine(string.Create(inv,
        $"| {count} | {rows} | {Ms("merged"):F1} | {Ms("single"):F1} | {Ms("mixed"):F1} | {Ms("mixed") / Ms("single"):F2}x | {Ms("mixed") / Ms("merged"):F2}x |{extra}"));
}

// Memory: parameter bytes, which do not depend on machine load.
long Bytes(IEnumerable<Tensor> tensors) => tensors.Sum(t => t.numel() * t.element_size());
long total = Bytes(model.parameters());
long perAdapter = Bytes(model.LoraParameters().Select(p => p.Parameter));
long baseBytes = total - (most + 1) * perAdapter;
Console.WriteLine(string.Create(inv,
    $"memory: base {baseBytes / 1e6:F2} MB, one adapter {perAdapter / 1e3:F1} kB, {most + 1} adapters (incl. default) {total / 1e6:F2} MB = base + {most + 1} x adapter; peak RSS {Timing.PeakRssBytes() / 1e6:F0} MB"));

internal sealed record Arguments(int[] Adapters, int Batch, int Length, int Rounds, int Warmup, int Runs, int Threads, bool Extra)
{
    public static Arguments Parse(string[] args)
    {
        int[] adapters = [8, 32, 128];
        var values = new Dictionary<string, int>
        {
            ["--batch"] = 32, ["--length"] = 64, ["--rounds"] = 3, ["--warmup"] = 2, ["--runs"] = 5, ["--threads"] = 0, ["--extra"] = 0,
        };
        for (int i = 0; i < args.Length; i += 2)
        {
            if (args[i] == "--adapters" && i + 1 < args.Length)
            {
                adapters = args[i + 1].Split(',').Select(a => int.TryParse(a, CultureInfo.InvariantCulture, out int n) && n >= 1 ? n
                    : throw new ArgumentException($"--adapters: '{a}' is not a count ≥ 1 (give e.g. 8,32,128).")).ToArray();
                continue;
            }
            if (!values.ContainsKey(args[i]) || i + 1 >= args.Length || !int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out int value) || value < 0)
                throw new ArgumentException($"Unknown option or bad value at '{args[i]}'. Options: --adapters 8,32,128, {string.Join(", ", values.Keys)} followed by a number.");
            values[args[i]] = value;
        }
        if (values["--batch"] < 1 || values["--length"] < 1 || values["--runs"] < 1 || values["--rounds"] < 1)
            throw new ArgumentException("--batch, --length, --rounds and --runs must be at least 1.");
        return new Arguments(adapters, values["--batch"], values["--length"], values["--rounds"], values["--warmup"], values["--runs"], values["--threads"], values["--extra"] != 0);
    }
}
