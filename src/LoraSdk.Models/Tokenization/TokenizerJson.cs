using System.Text.Json;

namespace LoraSdk.Models;

/// <summary>
/// Reading a tokenizer file's JSON with errors that name the file and the JSON path of the offending value
/// (e.g. <c>tokenizer.json: pre_tokenizer.pretokenizers[1].type "Digits" is not supported</c>).
/// </summary>
internal readonly record struct TokenizerJson(JsonElement Element, string File, string Path)
{
    public InvalidDataException Error(string message) =>
        new($"{File}: {(Path.Length == 0 ? "" : Path + " ")}{message}");

    public static TokenizerJson Parse(string fullPath)
    {
        var name = System.IO.Path.GetFileName(fullPath);
        try
        {
            using var document = JsonDocument.Parse(System.IO.File.ReadAllText(fullPath), new JsonDocumentOptions { AllowTrailingCommas = true });
            return new TokenizerJson(document.RootElement.Clone(), name, "");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{name}: not valid JSON ({e.Message})", e);
        }
    }

    public bool IsNull => Element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    /// <summary>The member <paramref name="name"/>, or null when it is absent (a JSON null is returned as such).</summary>
    public TokenizerJson? Member(string name)
    {
        if (Element.ValueKind != JsonValueKind.Object) throw Error("must be a JSON object");
        return Element.TryGetProperty(name, out var value) ? Child(value, name) : null;
    }

    /// <summary>The member <paramref name="name"/>, or null when it is absent or JSON null.</summary>
    public TokenizerJson? Optional(string name)
    {
        var member = Member(name);
        return member is { IsNull: false } ? member : null;
    }

    public TokenizerJson Required(string name) =>
        Optional(name) ?? throw Error($"needs \"{name}\"");

    public string String()
    {
        if (Element.ValueKind != JsonValueKind.String) throw Error($"must be a string, not {Element.ValueKind}");
        return Element.GetString()!;
    }

    public bool Bool()
    {
        if (Element.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw Error($"must be true or false, not {Element.ValueKind}");
        return Element.GetBoolean();
    }

    public int Int()
    {
        if (Element.ValueKind != JsonValueKind.Number || !Element.TryGetInt32(out var value)) throw Error($"must be an integer, not {Element}");
        return value;
    }

    public string? OptionalString(string name) => Optional(name)?.String();

    public bool OptionalBool(string name, bool fallback) => Optional(name)?.Bool() ?? fallback;

    public IEnumerable<TokenizerJson> Items()
    {
        if (Element.ValueKind != JsonValueKind.Array) throw Error($"must be an array, not {Element.ValueKind}");
        var index = 0;
        foreach (var item in Element.EnumerateArray())
        {
            yield return new TokenizerJson(item, File, $"{Path}[{index}]");
            index++;
        }
    }

    public IEnumerable<(string Name, TokenizerJson Value)> Properties()
    {
        if (Element.ValueKind != JsonValueKind.Object) throw Error($"must be a JSON object, not {Element.ValueKind}");
        foreach (var property in Element.EnumerateObject()) yield return (property.Name, Child(property.Value, property.Name));
    }

    /// <summary>The component's <c>type</c> (every normalizer, pre-tokenizer, decoder and post-processor has one).</summary>
    public string Type() => Required("type").String();

    /// <summary>The refusal of a component this tokenizer cannot run exactly.</summary>
    public InvalidDataException Unsupported(string type, string supported) =>
        new($"{File}: {Path}.type \"{type}\" is not supported (supported: {supported})");

    private TokenizerJson Child(JsonElement value, string name) =>
        new(value, File, Path.Length == 0 ? name : $"{Path}.{name}");
}
