using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoraSdk;

/// <summary>Reads PEFT's <c>init_lora_weights</c>, which is a JSON bool or a string; writes booleans back as bools.</summary>
internal sealed class BoolOrStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Null => null,
        _ => throw new JsonException($"Expected true, false or a string, found {reader.TokenType}."),
    };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        if (value is "true" or "false") writer.WriteBooleanValue(value == "true");
        else writer.WriteStringValue(value);
    }
}

/// <summary>Reads PEFT's <c>target_modules</c>, which is a list of names or one regex string; writes a list.</summary>
internal sealed class StringOrListConverter : JsonConverter<IReadOnlyList<string>>
{
    public override IReadOnlyList<string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return [reader.GetString()!];
            case JsonTokenType.StartArray:
                var items = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.String) throw new JsonException($"Expected a module name, found {reader.TokenType}.");
                    items.Add(reader.GetString()!);
                }
                return items;
            default:
                throw new JsonException($"Expected a list of module names or a string, found {reader.TokenType}.");
        }
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<string> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var item in value) writer.WriteStringValue(item);
        writer.WriteEndArray();
    }
}
