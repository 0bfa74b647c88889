using LoraSdk.Data;

namespace LoraSdk.Training.Tests.Data;

public class JsonlReaderTests
{
    [Fact]
    public void ReadsTextAndLabelsWithTheirLines()
    {
        using var folder = new TempFolder();
        var path = folder.File("train.jsonl", "{\"text\":\"hello\",\"label\":\"greet\"}\n\n{\"text\":\"bye\",\"label\":3}\n");
        var records = JsonlReader.Read(path, labelField: "label");
        Assert.Equal([("hello", "greet", 1), ("bye", "3", 3)], records.Select(r => (r.Text, r.Label, r.Line)));
    }

    [Fact]
    public void InvalidJsonNamesFileLineAndColumn()
    {
        using var folder = new TempFolder();
        var path = folder.File("bad.jsonl", "{\"text\":\"ok\"}\n{\"text\": oops}\n");
        var error = Assert.Throws<LoraInputException>(() => JsonlReader.Read(path));
        Assert.Equal((LoraErrorCodes.InvalidRecord, 2, 10), (error.Code, error.Line, error.Column));
        Assert.StartsWith($"{path}(2,10): error LORA201: invalid JSON", error.CanonicalMessage);
    }

    [Theory]
    [InlineData("{\"text\": oops}", 10)]
    [InlineData("{\"text\": \"a fine sentence here\" \"label\": \"x\"}", 33)]
    public void InvalidJsonEndsWithoutSystemTextJsonsOwnPosition(string record, int column)
    {
        using var folder = new TempFolder();
        var path = folder.File("bad.jsonl", "{\"text\":\"ok\"}\n\n\n" + record + "\n");
        var error = Assert.Throws<LoraInputException>(() => JsonlReader.Read(path));
        Assert.StartsWith($"{path}(4,{column}): error LORA201: invalid JSON: ", error.CanonicalMessage);
        Assert.DoesNotContain("LineNumber", error.CanonicalMessage);
        Assert.DoesNotContain("BytePositionInLine", error.CanonicalMessage);
        Assert.EndsWith(".", error.CanonicalMessage);
    }

    [Fact]
    public void MissingTextFieldIsLora202()
    {
        using var folder = new TempFolder();
        var path = folder.File("bad.jsonl", "{\"text\":\"ok\"}\n{\"txt\":\"typo\"}\n");
        var error = Assert.Throws<LoraInputException>(() => JsonlReader.Read(path));
        Assert.Equal((LoraErrorCodes.MissingField, 2), (error.Code, error.Line));
        Assert.Contains("no \"text\" field", error.Message);
    }

    [Fact]
    public void MissingLabelIsLora202()
    {
        using var folder = new TempFolder();
        var path = folder.File("bad.jsonl", "{\"text\":\"ok\"}\n");
        var error = Assert.Throws<LoraInputException>(() => JsonlReader.Read(path, labelField: "label"));
        Assert.Equal((LoraErrorCodes.MissingField, 1), (error.Code, error.Line));
        Assert.Contains("\"label\"", error.Message);
    }

    [Theory]
    [InlineData("[1,2]", "expected a JSON object, found an array")]
    [InlineData("{\"text\": 5}", "\"text\" must be a string, found a number")]
    public void WrongShapesAreLora201(string line, string problem)
    {
        using var folder = new TempFolder();
        var path = folder.File("bad.jsonl", line + "\n");
        var error = Assert.Throws<LoraInputException>(() => JsonlReader.Read(path));
        Assert.Equal(LoraErrorCodes.InvalidRecord, error.Code);
        Assert.Contains(problem, error.Problem);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n  \n")]
    public void EmptyFileIsLora204(string content)
    {
        using var folder = new TempFolder();
        var path = folder.File("empty.jsonl", content);
        var error = Assert.Throws<LoraInputException>(() => JsonlReader.Read(path));
        Assert.Equal((LoraErrorCodes.EmptyFile, 1), (error.Code, error.Line));
    }

    [Fact]
    public void InvalidUtf8NamesTheLineOfTheBadByte()
    {
        using var folder = new TempFolder();
        var bytes = "{\"text\":\"one\"}\n{\"text\":\"two\"}\n{\"text\":\"caf"u8.ToArray().Concat(new byte[] { 0xE9 }).Concat("\"}\n"u8.ToArray()).ToArray();
        var path = folder.Bytes("latin1.jsonl", bytes);
        var error = Assert.Throws<LoraInputException>(() => JsonlReader.Read(path));
        Assert.Equal((LoraErrorCodes.UnreadableEncoding, 3), (error.Code, error.Line));
        Assert.Contains("not valid UTF-8", error.Message);
    }

    [Fact]
    public void AByteOrderMarkIsAccepted()
    {
        using var folder = new TempFolder();
        var path = folder.Bytes("bom.jsonl", [0xEF, 0xBB, 0xBF, .. "{\"text\":\"x\"}\n"u8.ToArray()]);
        Assert.Equal("x", Assert.Single(JsonlReader.Read(path)).Text);
    }

    [Fact]
    public void AMissingFileIsReportedWithItsPath()
    {
        using var folder = new TempFolder();
        var path = folder.Combine("nope.jsonl");
        var error = Assert.Throws<LoraInputException>(() => JsonlReader.Read(path));
        Assert.Equal(path, error.File);
        Assert.Contains("does not exist", error.Message);
    }
}
