namespace LoraSdk.Hosting;

/// <summary>An option that cannot be honoured for the model that was built, found before training: its canonical LORA210 line.</summary>
internal sealed class OptionRefusedException(string canonicalLine) : Exception(canonicalLine);
