using LoraSdk.Shared;
using static LoraSdk.Generators.Tests.DiagnosticAssert;
using static LoraSdk.Generators.Tests.GeneratorHarness;

namespace LoraSdk.Generators.Tests;

/// <summary>
/// The generator checks [LoRA] arguments with the rules the runtime uses (src/Shared/LoraOptionRules.cs): a value
/// the runtime refuses is a compile-time error worded with the same requirement, and one it accepts is none.
/// </summary>
public sealed class SharedRulesTests
{
    private static string Class(string arguments) => $$"""
        [LoRA({{arguments}})]
        public sealed partial class Checked : nn.Module<Tensor, Tensor>
        {
            private readonly Linear query = nn.Linear(4, 4);
            public Checked() : base("c") { }
            public override Tensor forward(Tensor x) => query.forward(x);
        }
        """;

    [Theory]
    [InlineData("[|rank: 0|]", "LORA003", "LoRA rank must be " + LoraOptionRules.RankRequirement + ", but is 0")]
    [InlineData("4, [|Alpha = double.NaN|]", "LORA005", "LoRA alpha must be " + LoraOptionRules.AlphaRequirement + ", but is NaN")]
    [InlineData("4, [|Dropout = -0.5|]", "LORA005", "LoRA dropout must be " + LoraOptionRules.DropoutRequirement + ", but is -0.5")]
    public void A_value_the_runtime_refuses_is_an_error_in_the_runtimes_words(string arguments, string id, string message)
    {
        Assert.Equal(message, AssertSingle(id, Class(arguments)));
    }

    [Theory]
    [InlineData("1, Alpha = 4.9E-324, Dropout = 0")]
    [InlineData("64, Alpha = 1.7976931348623157E+308, Dropout = 0.999")]
    public void Values_at_the_edges_of_each_range_are_accepted(string arguments)
    {
        Assert.DoesNotContain(AnalyzerDiagnostics(Usings + Class(arguments)), d => d.Id is "LORA003" or "LORA005");
    }
}
