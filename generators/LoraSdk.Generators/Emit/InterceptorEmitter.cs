using LoraSdk.Generators.Model;
using static LoraSdk.Generators.Emit.CSharpLiterals;

namespace LoraSdk.Generators.Emit;

/// <summary>
/// Writes the interceptors that replace <c>target.forward(x)</c> / <c>target.call(x)</c> in the user's class
/// with base + scaling·B(A(x)). The declared hyper-parameters are compile-time constants here (scaling is a
/// literal, a zero dropout emits no dropout code); an adapter whose options a <c>LoraOptionsOverride</c> scope
/// changed at run time takes the general path in <c>GeneratedLora.AddUpdate</c> instead. The <c>forward</c>
/// path adds the update in place; the <c>call</c> path adds it out of place, because a forward hook may have
/// kept the layer's output.
/// </summary>
internal static class InterceptorEmitter
{
    public const string Namespace = "LoraSdk.Generated";

    public static void Write(IndentedWriter w, LoraClassModel model)
    {
        using (w.Block($"namespace {Namespace}"))
        {
            // Inside LoraSdk.Generated, LoraSdk's types (GeneratedLora, the adapters) resolve without qualification.
            w.Line("using static global::TorchSharp.torch;");
            w.Line();
            w.Line($"/// <summary>Routes the calls of {model.DisplayName}'s LoRA targets through their adapters.</summary>");
            using (w.Block("file static class LoraInterceptors"))
            {
                bool first = true;
                foreach (var interceptor in model.Interceptors)
                {
                    if (!first) w.Line();
                    first = false;
                    WriteInterceptor(w, model, interceptor);
                }
            }
        }
        w.Line();
        WriteAttribute(w);
    }

    private static void WriteInterceptor(IndentedWriter w, LoraClassModel model, InterceptorModel interceptor)
    {
        var target = TargetOf(model, interceptor);
        var scaling = Double(target.Scaling);
        var formula = target.UseRsLoRA ? $"alpha {Double(target.Alpha)} / √{target.Rank}" : $"alpha {Double(target.Alpha)} / rank {target.Rank}";
        var dropout = target.Dropout > 0 ? $"dropout {Double(target.Dropout)}" : "no dropout";

        w.Line($"/// <summary>{target.Member}.{interceptor.Method}(x): {target.Kind}; declared rank {target.Rank}, scaling {scaling} ({formula}), {dropout}.</summary>");
        foreach (var site in interceptor.CallSites)
            w.Line($"[global::System.Runtime.CompilerServices.InterceptsLocation({site.Version}, {String(site.Data)})] // {site.DisplayLocation}");
        var name = $"{target.Member}_{interceptor.Method}";
        using (w.Block($"public static {interceptor.ReturnType} {name}(this {interceptor.ThisType} layer, {interceptor.ParameterType} input)"))
        {
            w.Line($"var adapter = GeneratedLora.AdapterOf<{target.Kind}LoraAdapter>(layer, {String(model.DisplayName + "." + target.Member)});");
            w.Line($"var result = layer.{interceptor.Method}(input); // the frozen base layer");
            w.Line("if (adapter.IsMerged || !adapter.Enabled) return result; // merged or disabled: the base layer alone");
            bool inPlace = interceptor.Method == "forward";
            w.Line($"if (!GeneratedLora.HasOptions(adapter, scaling: {scaling}, dropout: {Double(target.Dropout)})) // changed at run time by a LoraOptionsOverride");
            w.Line($"    return GeneratedLora.AddUpdate(adapter, result, input, inPlace: {(inPlace ? "true" : "false")});");
            if (target.Kind == "Linear") WriteLinearUpdate(w, target, scaling, inPlace);
            else WriteGenericUpdate(w, target, scaling, inPlace);
        }
    }

    private static LoraTargetModel TargetOf(LoraClassModel model, InterceptorModel interceptor)
    {
        foreach (var target in model.Targets)
            if (target.Member == interceptor.TargetMember) return target;
        throw new System.InvalidOperationException($"No target '{interceptor.TargetMember}' in {model.DisplayName}.");
    }

    /// <summary>Linear: x·Aᵀ, then one GEMM adds scaling·(x·Aᵀ)·Bᵀ into the base output (no scaled delta tensor).</summary>
    private static void WriteLinearUpdate(IndentedWriter w, LoraTargetModel target, string scaling, bool inPlace)
    {
        var input = "input";
        if (target.Dropout > 0)
        {
            w.Line($"using var dropped = adapter.training ? nn.functional.dropout(input, {Double(target.Dropout)}, training: true) : input.alias();");
            input = "dropped";
        }
        w.Line($"using var down = nn.functional.linear({input}, adapter.LoraA); // (…, {target.Rank})");
        if (inPlace)
            w.Line($"return GeneratedLora.AddLowRank(result, down, adapter.LoraB, scaling: {scaling}); // result += {scaling}·down·Bᵀ, in place");
        else
            w.Line($"return GeneratedLora.PlusLowRank(result, down, adapter.LoraB, scaling: {scaling}); // out of place: a hook may hold result");
    }

    /// <summary>Conv2d and Embedding: the adapter computes B(A(dropout(x))); it is added scaled.</summary>
    private static void WriteGenericUpdate(IndentedWriter w, LoraTargetModel target, string scaling, bool inPlace)
    {
        w.Line($"using var delta = adapter.LowRankForward(input); // B(A(dropout(x))), rank {target.Rank}");
        if (inPlace)
            w.Line($"return result.add_(delta, alpha: {scaling}); // result += {scaling}·delta, in place");
        else
            w.Line($"return result.add(delta, alpha: {scaling}); // out of place: a hook may hold result");
    }

    /// <summary>File-local, so every generated file can carry its own copy without clashes.</summary>
    private static void WriteAttribute(IndentedWriter w)
    {
        using (w.Block("namespace System.Runtime.CompilerServices"))
        {
            w.Line("[global::System.AttributeUsage(global::System.AttributeTargets.Method, AllowMultiple = true)]");
            using (w.Block("file sealed class InterceptsLocationAttribute : global::System.Attribute"))
            {
                w.Line("public InterceptsLocationAttribute(int version, string data) { _ = version; _ = data; }");
            }
        }
    }
}
