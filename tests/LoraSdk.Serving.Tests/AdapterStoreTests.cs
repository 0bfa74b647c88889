using static LoraSdk.Serving.Tests.ServingTestKit;

namespace LoraSdk.Serving.Tests;

/// <summary>The adapter store: load on first use, LRU by count and bytes, pinned adapters, disk changes, corrupt folders.</summary>
public sealed class AdapterStoreTests : IDisposable
{
    private readonly string _root = NewRoot();
    private readonly string[] _texts = ["refund my order", "where is my card", "thanks"];

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Adapters_load_on_first_use_and_the_least_recently_used_unpinned_one_is_unloaded_first()
    {
        WriteAdapters(_root, ["a", "b", "c", "d", "e"], seed: 1);
        using var model = CreateClassifier();
        var store = new AdapterStore(model, new AdapterStoreOptions { Root = _root, MaxAdapters = 3, Pinned = new HashSet<string> { "a" } });
        Assert.Equal(0, store.LoadedCount);
        foreach (var name in new[] { "a", "b", "c", "d" }) Use(store, name);
        Assert.Equal(["d", "c", "a"], store.LoadedNames()); // b was least recently used and a is pinned
        Use(store, "c");
        Use(store, "e");
        Assert.Equal(["e", "c", "a"], store.LoadedNames());
        Assert.Equal(4, model.AdapterNames().Count); // default + the three loaded: evicted ones are deleted from the model
        Assert.Equal(["a", "b", "c", "d", "e"], store.Available());
    }

    [Fact]
    public void The_byte_limit_bounds_the_loaded_adapters()
    {
        WriteAdapters(_root, ["a", "b", "c"], seed: 2);
        long size = new FileInfo(Path.Combine(_root, "a", AdapterModelExtensions.WeightsFileName)).Length;
        using var model = CreateClassifier();
        var store = new AdapterStore(model, new AdapterStoreOptions { Root = _root, MaxBytes = size * 5 / 2 });
        foreach (var name in new[] { "a", "b", "c" }) Use(store, name);
        Assert.Equal(2, store.LoadedCount);
        Assert.True(store.LoadedBytes <= size * 5 / 2);
    }

    [Fact]
    public void Every_answer_equals_the_offline_answer_of_its_adapter()
    {
        WriteAdapters(_root, ["a", "b"], seed: 3);
        using var model = CreateClassifier();
        var store = new AdapterStore(model, new AdapterStoreOptions { Root = _root });
        foreach (var name in new[] { "a", "b", "a" })
            AssertAnswers(store, name, Offline(Path.Combine(_root, name), _texts));
    }

    [Fact]
    public void Replaced_added_and_deleted_folders_are_picked_up()
    {
        WriteAdapters(_root, ["a"], seed: 4);
        using var model = CreateClassifier();
        var store = new AdapterStore(model, new AdapterStoreOptions { Root = _root });
        AssertAnswers(store, "a", Offline(Path.Combine(_root, "a"), _texts));

        using (var writer = CreateClassifier())
            ReplaceFolder(Path.Combine(_root, "a"), staging => WriteAdapter(writer, staging, seed: 99));
        var replaced = Offline(Path.Combine(_root, "a"), _texts);
        AssertAnswers(store, "a", replaced);
        Assert.Equal(1, store.LoadedCount); // the old version was unloaded when the new one came in

        Assert.IsType<AdapterNotFoundException>(Lease(store, "new").Error);
        WriteAdapters(_root, ["new"], seed: 5);
        AssertAnswers(store, "new", Offline(Path.Combine(_root, "new"), _texts));

        Directory.Delete(Path.Combine(_root, "a"), recursive: true);
        var gone = Assert.IsType<AdapterNotFoundException>(Lease(store, "a").Error);
        Assert.Contains("'a'", gone.Message);
        Assert.Equal(["new"], store.LoadedNames());
    }

    [Fact]
    public void A_corrupt_adapter_fails_only_its_own_requests_with_the_loaders_message_until_it_is_fixed()
    {
        WriteAdapters(_root, ["good", "bad"], seed: 6);
        string weights = Path.Combine(_root, "bad", AdapterModelExtensions.WeightsFileName);
        File.WriteAllBytes(weights, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        using var model = CreateClassifier();
        var store = new AdapterStore(model, new AdapterStoreOptions { Root = _root });
        var leases = store.Use(["bad", "good", "bad"], l => l);
        var error = Assert.IsType<AdapterUnusableException>(leases[0].Error);
        Assert.Contains("'bad'", error.Message);
        Assert.Contains(AdapterModelExtensions.WeightsFileName, error.Message); // the loader names the file
        Assert.Null(leases[1].Error);
        AssertAnswers(store, "good", Offline(Path.Combine(_root, "good"), _texts));

        using (var writer = CreateClassifier()) ReplaceFolder(Path.Combine(_root, "bad"), staging => WriteAdapter(writer, staging, seed: 7));
        AssertAnswers(store, "bad", Offline(Path.Combine(_root, "bad"), _texts));
    }

    [Fact]
    public void A_DoRA_adapter_is_refused_by_name_and_the_others_still_serve()
    {
        WriteAdapters(_root, ["good"], seed: 9);
        using (LoraOptionsOverride.Apply(new LoraOptionsOverride { UseDoRA = true }))
        using (var writer = CreateClassifier())
            WriteAdapter(writer, Path.Combine(_root, "dora"), seed: 10);
        using var model = CreateClassifier();
        var store = new AdapterStore(model, new AdapterStoreOptions { Root = _root });
        var leases = store.Use(["dora", "good"], l => l);
        var error = Assert.IsType<AdapterUnusableException>(leases[0].Error);
        Assert.Contains("DoRA", error.Message);
        Assert.Null(leases[1].Error);
        Assert.Equal(["good"], store.LoadedNames());
        Assert.Equal(2, model.AdapterNames().Count); // default + good: the DoRA adapter was taken out again
        AssertAnswers(store, "good", Offline(Path.Combine(_root, "good"), _texts));
    }

    [Theory]
    [InlineData("../a")]
    [InlineData("a/b")]
    [InlineData("__base__")]
    [InlineData(".hidden")]
    [InlineData("")]
    public void Names_that_are_not_one_adapter_folder_are_unknown(string name)
    {
        WriteAdapters(_root, ["a"], seed: 8);
        using var model = CreateClassifier();
        var store = new AdapterStore(model, new AdapterStoreOptions { Root = _root });
        Assert.IsType<AdapterNotFoundException>(Lease(store, name).Error);
    }

    [Fact]
    public void Concurrent_callers_each_get_their_own_adapters_answer()
    {
        var names = Enumerable.Range(0, 12).Select(i => $"t{i}").ToArray();
        WriteAdapters(_root, names, seed: 9);
        var expected = names.ToDictionary(n => n, n => Offline(Path.Combine(_root, n), _texts));
        using var model = CreateClassifier();
        var store = new AdapterStore(model, new AdapterStoreOptions { Root = _root, MaxAdapters = 4 });
        var servable = new TextClassifierServable(model, CreateEncoder(), Labels);
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
        {
            var random = new Random(worker);
            for (int i = 0; i < 40; i++)
            {
                var rows = Enumerable.Range(0, 3).Select(_ => names[random.Next(names.Length)]).ToList();
                var text = _texts[random.Next(_texts.Length)];
                var answers = store.Use(rows, leases =>
                {
                    using var scope = model.UseAdapterPerRow(leases.Select(l => l.Slot!).ToList());
                    return servable.Run(rows.Select(_ => text).ToList());
                });
                for (int r = 0; r < rows.Count; r++)
                    Assert.True(MaxDifference(Probabilities(answers[r]), expected[rows[r]][Array.IndexOf(_texts, text)]) <= 1e-5, $"{rows[r]}: wrong answer");
            }
        });
        Assert.True(store.LoadedCount <= 4);
    }

    private static AdapterLease Lease(AdapterStore store, string name) => store.Use([name], l => l[0]);

    private static void Use(AdapterStore store, string name) => Assert.Null(Lease(store, name).Error);

    private void AssertAnswers(AdapterStore store, string name, double[][] expected)
    {
        var model = (LoraSdk.Models.SequenceClassifier)GetModel(store);
        var servable = new TextClassifierServable(model, CreateEncoder(), Labels);
        var answers = store.Use(_texts.Select(_ => name).ToList(), leases =>
        {
            Assert.All(leases, l => Assert.Null(l.Error));
            using var scope = model.UseAdapterPerRow(leases.Select(l => l.Slot!).ToList());
            return servable.Run(_texts);
        });
        for (int i = 0; i < _texts.Length; i++)
            Assert.True(MaxDifference(Probabilities(answers[i]), expected[i]) <= 1e-5, $"{name}, text {i}: {MaxDifference(Probabilities(answers[i]), expected[i]):E2}");
    }

    private static TorchSharp.torch.nn.Module GetModel(AdapterStore store) => store.Model;
}
