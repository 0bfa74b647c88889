namespace LoraSdk.Search;

/// <summary>The trainable parameters of a trial: every tensor its adapter file holds (LoRA factors and modules_to_save).</summary>
internal static class AdapterParameters
{
    public static long? Count(string adapterDirectory)
    {
        string file = Path.Combine(adapterDirectory, PeftKeys.TensorFileName);
        if (!File.Exists(file)) return null;
        var header = SafetensorsHeader.Parse(File.ReadAllBytes(file), file);
        return header.Tensors.Values.Sum(t => t.Shape.Aggregate(1L, (product, d) => product * d));
    }
}
