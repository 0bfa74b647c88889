using System.Text;
using LoraSdk.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Serving.Tests;

/// <summary>A tiny BERT classifier, its word-piece encoder, adapter folders written from it, and offline answers to compare with.</summary>
internal static class ServingTestKit
{
    public static readonly string[] Labels = ["billing", "refund", "other"];

    public static readonly string[] Words = ["refund", "my", "order", "late", "bill", "card", "help", "cancel", "thanks", "where"];

    public static readonly BertConfig Config = new()
    {
        VocabSize = 5 + 10, HiddenSize = 8, NumLayers = 1, NumHeads = 2, IntermediateSize = 16,
        MaxPositions = 16, TypeVocabSize = 2, HiddenDropout = 0, AttentionDropout = 0,
    };

    /// <summary>The same base model for every seed-equal call, whatever other threads draw: servers and offline references agree on it.</summary>
    public static SequenceClassifier CreateClassifier(int seed = 3)
    {
        var model = new SequenceClassifier(Config, Labels.Length);
        // Every weight from a generator of our own: tests run in parallel, and the global one is shared between them.
        var generator = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var (_, p) in model.named_parameters()) p.copy_(randn(p.shape, generator: generator) * 0.5);
        model.eval();
        return model;
    }

    public static BertTextEncoder CreateEncoder()
    {
        string vocabulary = string.Join('\n', new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(Words));
        return BertTextEncoder.FromVocabulary(new MemoryStream(Encoding.UTF8.GetBytes(vocabulary)), maxLength: 16);
    }

    /// <summary>A random text of 1–10 known words (some unknown ones too).</summary>
    public static string RandomText(Random random) =>
        string.Join(' ', Enumerable.Range(0, random.Next(1, 11)).Select(_ => random.Next(12) < 10 ? Words[random.Next(Words.Length)] : "zebra"));

    /// <summary>Writes adapter folders <c>root/name</c>, each with its own random LoRA factors (rank 2 on query/value).</summary>
    public static void WriteAdapters(string root, IEnumerable<string> names, int seed)
    {
        using var writer = CreateClassifier();
        int i = 0;
        foreach (var name in names) WriteAdapter(writer, Path.Combine(root, name), seed * 100_003 + i++);
    }

    /// <summary>Writes one adapter folder from <paramref name="writer"/>'s default adapter with factors drawn from <paramref name="seed"/>.</summary>
    public static void WriteAdapter(SequenceClassifier writer, string folder, int seed)
    {
        var generator = new Generator((ulong)seed);
        using (no_grad())
            foreach (var (_, p) in writer.LoraParameters()) p.copy_(randn(p.shape, generator: generator) * 0.4);
        writer.SaveAdapter(folder);
    }

    /// <summary>What a single-request forward with the adapter in <paramref name="folder"/> gives, on a fresh model.</summary>
    public static double[][] Offline(string folder, IReadOnlyList<string> texts)
    {
        using var model = CreateClassifier();
        model.LoadAdapter(folder, "offline");
        model.SetActiveAdapter("offline");
        var servable = new TextClassifierServable(model, CreateEncoder(), Labels);
        return texts.Select(t => Probabilities(servable.Run([t])[0])).ToArray();
    }

    public static double[] Probabilities(ClassificationResult result) => Labels.Select(l => result.Probabilities[l]).ToArray();

    public static double MaxDifference(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    public static string NewRoot() => Directory.CreateTempSubdirectory("lorasdk-serving-").FullName;

    /// <summary>Replaces <paramref name="folder"/> whole by renames, as a deploy should (new folder beside, then swap).</summary>
    public static void ReplaceFolder(string folder, Action<string> writeNew)
    {
        string staging = folder + ".staging";
        string old = folder + ".old";
        writeNew(staging);
        Directory.Move(folder, old);
        Directory.Move(staging, folder);
        Directory.Delete(old, recursive: true);
    }
}
