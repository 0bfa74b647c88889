using LoraSdk.Data;

namespace IntentClassifier;

/// <summary>One labelled support message.</summary>
public sealed record IntentExample(string Text, string Label);

/// <summary>Reads <c>{"text": …, "label": …}</c> JSON Lines with the SDK's reader (errors name file, line and field).</summary>
public static class IntentData
{
    public static IReadOnlyList<IntentExample> Read(string path) =>
        JsonlReader.Read(path, labelField: "label").Select(r => new IntentExample(r.Text, r.Label!)).ToList();
}
