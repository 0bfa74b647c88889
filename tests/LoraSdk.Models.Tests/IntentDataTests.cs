using LoraSdk.Data;

namespace LoraSdk.Models.Tests;

/// <summary>The sample's intent dataset (samples/IntentClassifier/data) is well formed and its split is clean.</summary>
public sealed class IntentDataTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "intent-data");

    private static IReadOnlyList<TextRecord> Read(string name) =>
        JsonlReader.Read(Path.Combine(Folder, name), labelField: "label");

    [Fact]
    public void Splits_are_disjoint_and_every_label_is_in_both()
    {
        var train = Read("train.jsonl");
        var validation = Read("validation.jsonl");

        Assert.True(train.Count + validation.Count >= 300, $"{train.Count + validation.Count} examples");
        Assert.Empty(train.Select(r => r.Text.ToLowerInvariant()).Intersect(validation.Select(r => r.Text.ToLowerInvariant())));
        var labels = train.Select(r => r.Label).Distinct().Order().ToList();
        Assert.InRange(labels.Count, 4, 10);
        Assert.Equal(labels, validation.Select(r => r.Label).Distinct().Order());
        Assert.All(labels, label => Assert.InRange(validation.Count(r => r.Label == label), 10, 30));
    }
}
