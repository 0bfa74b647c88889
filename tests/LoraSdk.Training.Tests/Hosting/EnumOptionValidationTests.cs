using System.Reflection;
using LoraSdk.Hosting;
using LoraSdk.Search;

namespace LoraSdk.Training.Tests.Hosting;

/// <summary>
/// Every enum-valued key of the LoRA section takes its names only: a number binds to any enum in configuration, so
/// <c>BaseQuantization=7</c> used to end in LORA200 and <c>Decay=7</c> trained silently. The keys are found here by
/// reflection over the types the section binds to, so an enum option added later is covered by this test too.
/// </summary>
[Collection(nameof(ConsoleCapture))]
public class EnumOptionValidationTests
{
    /// <summary>The section binds to the options, their Adapter and Trainer parts, and the search keys.</summary>
    private static IEnumerable<Type> BoundTypes =>
        typeof(LoraFineTuningOptions).GetProperties().Where(p => p.CanWrite && p.PropertyType.IsClass && p.PropertyType != typeof(string) && !p.PropertyType.IsArray)
            .Select(p => p.PropertyType).Append(typeof(LoraFineTuningOptions)).Append(typeof(SearchOptions));

    public static TheoryData<string, string> EnumKeys()
    {
        var keys = new TheoryData<string, string>();
        foreach (var property in BoundTypes.SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)).Where(p => p.CanWrite))
            if ((Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType) is { IsEnum: true } type)
                keys.Add(property.Name, string.Join(", ", Enum.GetNames(type)));
        return keys;
    }

    [Fact]
    public void TheEnumKeysAreFound()
    {
        var keys = EnumKeys().Select(row => (string)row[0]).ToList();
        Assert.Superset(new HashSet<string> { "BaseQuantization", "Decay", "TextMode", "Tokenizer", "Progress", "Format", "Init" }, keys.ToHashSet());
    }

    [Theory]
    [MemberData(nameof(EnumKeys))]
    public async Task ANumberIsRefusedListingTheNames(string key, string names)
    {
        using var folder = new TempFolder();
        var data = folder.File("train.jsonl", "{\"text\":\"hello there\"}\n{\"text\":\"general kenobi\"}\n");
        foreach (string value in new[] { "9", "-1" })
        {
            var (exitCode, stderr) = await InProcessHost.RunAsync(folder.Path, $"--LoRA:Dataset={data}", $"--LoRA:{key}={value}");
            Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
            Assert.Equal($"error LORA210: LoRA:{key} = {value}: not one of {names}. (set on the command line)", stderr.Trim());
        }
        Assert.False(Directory.Exists(folder.Combine("lora-adapter")));
    }

    [Fact]
    public async Task AnUnknownNameListsTheNames()
    {
        using var folder = new TempFolder();
        var data = folder.File("train.jsonl", "{\"text\":\"hello there\"}\n{\"text\":\"general kenobi\"}\n");
        var (exitCode, stderr) = await InProcessHost.RunAsync(folder.Path, $"--LoRA:Dataset={data}", "--LoRA:BaseQuantization=Nf5");
        Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
        Assert.Equal("error LORA210: LoRA:BaseQuantization = Nf5: not one of Float32, Int8, Nf4, Nf4DoubleQuant. (set on the command line)", stderr.Trim());
    }
}
