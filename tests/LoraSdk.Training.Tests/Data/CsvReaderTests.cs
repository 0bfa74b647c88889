using LoraSdk.Data;

namespace LoraSdk.Training.Tests.Data;

public class CsvReaderTests
{
    [Fact]
    public void ReadsNamedColumnsAndQuotedFields()
    {
        using var folder = new TempFolder();
        var path = folder.File("train.csv", "id,label,text\n1,pos,\"good, very \"\"good\"\"\"\n2,neg,\"two\nlines\"\n3,neg,plain\n");
        var records = CsvReader.Read(path, "text", "label");
        Assert.Equal(
            [("good, very \"good\"", "pos", 2), ("two\nlines", "neg", 3), ("plain", "neg", 5)],
            records.Select(r => (r.Text, r.Label, r.Line)));
    }

    [Fact]
    public void HandlesWindowsLineEnds()
    {
        using var folder = new TempFolder();
        var path = folder.File("train.csv", "text,label\r\nhi,a\r\nho,b\r\n");
        Assert.Equal(["hi", "ho"], CsvReader.Read(path, "text", "label").Select(r => r.Text));
    }

    [Fact]
    public void MissingColumnIsLora202OnTheHeader()
    {
        using var folder = new TempFolder();
        var path = folder.File("train.csv", "sentence,label\nhi,a\n");
        var error = Assert.Throws<LoraInputException>(() => CsvReader.Read(path, "text", "label"));
        Assert.Equal((LoraErrorCodes.MissingField, 1), (error.Code, error.Line));
        Assert.Contains("no \"text\" column (columns: sentence, label)", error.Message);
    }

    [Fact]
    public void WrongFieldCountIsLora201()
    {
        using var folder = new TempFolder();
        var path = folder.File("train.csv", "text,label\nhi,a\nno label here\n");
        var error = Assert.Throws<LoraInputException>(() => CsvReader.Read(path, "text", "label"));
        Assert.Equal((LoraErrorCodes.InvalidRecord, 3), (error.Code, error.Line));
        Assert.Contains("1 fields but the header has 2", error.Message);
    }

    [Fact]
    public void UnclosedQuoteIsLora201AtTheRecordStart()
    {
        using var folder = new TempFolder();
        var path = folder.File("train.csv", "text,label\n\"never closed,a\nmore\n");
        var error = Assert.Throws<LoraInputException>(() => CsvReader.Read(path, "text", "label"));
        Assert.Equal((LoraErrorCodes.InvalidRecord, 2), (error.Code, error.Line));
        Assert.Contains("never closed", error.Message);
    }

    [Fact]
    public void StrayQuoteNamesItsColumn()
    {
        using var folder = new TempFolder();
        var path = folder.File("train.csv", "text,label\nsay \"hi\",a\n");
        var error = Assert.Throws<LoraInputException>(() => CsvReader.Read(path, "text", "label"));
        Assert.Equal((LoraErrorCodes.InvalidRecord, 2, 5), (error.Code, error.Line, error.Column));
    }

    [Fact]
    public void HeaderOnlyIsLora204()
    {
        using var folder = new TempFolder();
        var path = folder.File("train.csv", "text,label\n");
        Assert.Equal(LoraErrorCodes.EmptyFile, Assert.Throws<LoraInputException>(() => CsvReader.Read(path, "text", "label")).Code);
    }
}
