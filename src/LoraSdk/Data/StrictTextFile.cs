using System.Text;

namespace LoraSdk.Data;

/// <summary>
/// Reads a data file as strict UTF-8 (a BOM is allowed), so a file in another encoding fails with the line of
/// the first bad byte instead of silently turning into replacement characters.
/// </summary>
internal static class StrictTextFile
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The file's lines (1-based numbering is index + 1); throws LORA204 for a file without any text.</summary>
    public static IReadOnlyList<string> ReadLines(string path)
    {
        var lines = new List<string>();
        try
        {
            using var reader = new StreamReader(path, Strict, detectEncodingFromByteOrderMarks: false);
            string? line;
            while ((line = ReadLineOrThrow(reader, path, lines.Count + 1)) is not null)
            {
                if (lines.Count == 0 && line.Length > 0 && line[0] == '\uFEFF') line = line[1..];
                lines.Add(line);
            }
        }
        catch (FileNotFoundException e)
        {
            throw new LoraInputException(LoraErrorCodes.UnreadableEncoding, path, 1, 1, "the data file does not exist.", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new LoraInputException(LoraErrorCodes.UnreadableEncoding, path, 1, 1, "the data file's folder does not exist.", e);
        }
        if (lines.All(string.IsNullOrWhiteSpace))
            throw new LoraInputException(LoraErrorCodes.EmptyFile, path, 1, 1, "the data file is empty: it has no examples.");
        return lines;
    }

    private static string? ReadLineOrThrow(StreamReader reader, string path, int lineNumber)
    {
        try
        {
            return reader.ReadLine();
        }
        catch (DecoderFallbackException e)
        {
            // The reader decodes in blocks, so the failing line is at or after this one: find it exactly.
            int line = LineOfFirstInvalidByte(path) ?? lineNumber;
            throw new LoraInputException(LoraErrorCodes.UnreadableEncoding, path, line, 1,
                "the file is not valid UTF-8 (save it as UTF-8).", e);
        }
    }

    private static int? LineOfFirstInvalidByte(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int line = 1, start = 0;
        for (int i = 0; i <= bytes.Length; i++)
        {
            if (i < bytes.Length && bytes[i] != (byte)'\n') continue;
            try
            {
                Strict.GetCharCount(bytes, start, i - start);
            }
            catch (DecoderFallbackException)
            {
                return line;
            }
            line++;
            start = i + 1;
        }
        return null;
    }
}
