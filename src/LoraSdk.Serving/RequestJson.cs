using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace LoraSdk.Serving;

/// <summary>Reads a JSON request body with a size limit, and its fields with errors that name them (400).</summary>
internal static class RequestJson
{
    public static async Task<JsonElement> ReadObjectAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes) throw ServingRequestException.BadField("body", $"is {request.ContentLength} bytes; at most {maxBytes} are accepted.");
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw ServingRequestException.BadField("body", $"is larger than the {maxBytes} bytes accepted.");
            buffer.Write(chunk, 0, read);
        }
        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw ServingRequestException.BadField("body", "must be a JSON object.");
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw ServingRequestException.BadField("body", $"is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }
    }

    /// <summary>The string <paramref name="field"/>; errors name <paramref name="path"/> (default: the field).</summary>
    public static string RequiredString(JsonElement body, string field, string? path = null) =>
        body.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()!
            : throw ServingRequestException.BadField(path ?? field, value.ValueKind == JsonValueKind.Undefined ? "is missing." : "must be a string.");

    public static int? OptionalInt(JsonElement body, string field)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number) ? number : throw ServingRequestException.BadField(field, "must be an integer.");
    }

    public static double? OptionalDouble(JsonElement body, string field)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw ServingRequestException.BadField(field, "must be a number.");
    }

    public static bool OptionalBool(JsonElement body, string field)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return false;
        return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw ServingRequestException.BadField(field, "must be true or false.");
    }

    /// <summary>OpenAI's <c>stop</c>: a string or an array of strings.</summary>
    public static IReadOnlyList<string> OptionalStrings(JsonElement body, string field)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return [];
        if (value.ValueKind == JsonValueKind.String) return [value.GetString()!];
        if (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String))
            return value.EnumerateArray().Select(v => v.GetString()!).ToList();
        throw ServingRequestException.BadField(field, "must be a string or an array of strings.");
    }
}
