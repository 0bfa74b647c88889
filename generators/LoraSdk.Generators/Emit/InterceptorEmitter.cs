using LoraSdk.Generators.Records;
using static LoraSdk.Generators.Emit.CSharpLiterals;

namespace LoraSdk.Generators.Emit;

/// <summary>
/// Writes the interceptors that replace <c>target.forward(x)</c> / <c>target.call(x)</c> in the user's class.
/// Each is one call into the runtime (<c>LoraRouter.Forward</c> / <c>Call</c>), which finds the layer's adapter
/// and runs its kind's adapted forward with the adapter's own options: the math lives once, in the adapter
/// classes, and the emitted code only says which layer and which call.
/// </summary>
internal static class InterceptorEmitter
{
    public static void Write(IndentedWriter w, LoraClassModel model)
    {
        using (w.Block($"namespace {GeneratedNames.InterceptorsNamespace}"))
        {
            // Inside LoraSdk.Generated, LoraSdk's types (LoraRouter) resolve without qualification.
            w.Line($"/// <summary>Routes the calls of {model.DisplayName}'s LoRA targets through their adapters.</summary>");
            using (w.Block($"file static class {GeneratedNames.InterceptorsClass}"))
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
        var name = GeneratedNames.Interceptor(target.Member, interceptor.Method);
        var router = interceptor.Method == "forward" ? "Forward" : "Call";
        w.Line($"public static {interceptor.ReturnType} {name}(this {interceptor.ThisType} layer, {interceptor.ParameterType} input) =>");
        w.Line($"    LoraRouter.{router}(layer, input, {String(model.DisplayName + "." + target.Member)});");
    }

    private static LoraTargetModel TargetOf(LoraClassModel model, InterceptorModel interceptor)
    {
        foreach (var target in model.Targets)
            if (target.Member == interceptor.TargetMember) return target;
        throw new System.InvalidOperationException($"No target '{interceptor.TargetMember}' in {model.DisplayName}.");
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
