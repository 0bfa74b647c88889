namespace LoraSdk;

/// <summary>
/// Tensor keys in <c>adapter_model.safetensors</c>, as PEFT's <c>get_peft_model_state_dict</c> names them:
/// the <c>PeftModel</c> wrapper prefix, the module path, then the adapter-free parameter name
/// (<c>lora_A.weight</c>, <c>lora_embedding_A</c>, or a modules_to_save module's own state-dict key).
/// </summary>
internal static class PeftKeys
{
    public const string Prefix = "base_model.model.";
    public const string TensorFileName = LoraSdk.Shared.FineTuneContract.AdapterWeightsFile;

    public static string For(string modulePath, string parameterName) =>
        Prefix + (modulePath.Length == 0 ? "" : modulePath + ".") + parameterName;
}
