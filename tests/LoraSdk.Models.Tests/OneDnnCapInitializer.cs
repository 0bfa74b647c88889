using System.Runtime.CompilerServices;
using LoraSdk.Native;

namespace LoraSdk.Models.Tests;

/// <summary>
/// Applies the oneDNN cap when the test assembly loads: oneDNN reads it once, at the process's first convolution, and
/// xUnit may run a test that convolves without creating a ResNet or a LoRA convolution first (the NaN-gradient
/// regression test in <see cref="ResNetLoraTests"/> failed once that way under load).
/// </summary>
internal static class OneDnnCapInitializer
{
    [ModuleInitializer]
    internal static void Apply() => OneDnnIsaCap.Apply();
}
