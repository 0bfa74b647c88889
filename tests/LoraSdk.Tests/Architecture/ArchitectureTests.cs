using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace LoraSdk.Tests.Architecture;

/// <summary>
/// The folders of <c>src/LoraSdk</c> depend on each other as docs/architecture.md draws them. The edges are read
/// from the built assembly (<see cref="FolderGraph"/>: each type's folder from the portable PDB, references from
/// metadata and IL), not from namespaces. A new edge that is not listed below fails with an example reference, so
/// does a cycle, and so does a listed edge the code no longer has (the diagram must not draw arrows that are gone).
/// Changing an arrow is one line here and the same arrow in the diagram.
/// </summary>
public sealed class ArchitectureTests
{
    /// <summary>
    /// One line per arrow of the runtime's folder graph, for the state after #24's core restructure (an
    /// <c>Options/</c> folder with the attributes, <c>LoraInit</c>, <c>LoraBase</c>, <c>LoraOptions</c>, the override and
    /// <c>LoraTargetInfo</c>). <c>Shared</c> is <c>src/Shared</c> (source linked into the runtime); <c>(root)</c> is
    /// <c>src/LoraSdk/ILoraLayer.cs</c>. Must stay acyclic.
    /// </summary>
    internal static readonly string[] AllowedEdges =
    [
        // The floor: the options of a target and native helpers depend on nothing in the runtime.
        "Options -> Shared",
        "Charts -> Files",
        // The LoRA layers and what operates on them.
        "(root) -> Layers",
        "Layers -> Native",
        "Layers -> Options",
        "Layers -> Quantization",
        "Quantization -> Options",
        "WholeModel -> Layers",
        "WholeModel -> Native",
        "WholeModel -> Options",
        "WholeModel -> Quantization",
        // Adapter files, training, search.
        "Adapters -> Data",
        "Adapters -> Layers",
        "Adapters -> Options",
        "Adapters -> WholeModel",
        "Training -> Adapters",
        "Training -> Data",
        "Training -> Layers",
        "Training -> Native",
        "Training -> WholeModel",
        "Search -> Adapters",
        "Search -> Charts",
        "Search -> Data",
        "Search -> Files",
        "Search -> Options",
        "Search -> Shared",
        "Search -> Training",
        // The hosted job on top of everything: it runs a training or a search (Search never depends on Hosting).
        "Hosting -> Adapters",
        "Hosting -> Charts",
        "Hosting -> Data",
        "Hosting -> Files",
        "Hosting -> Layers",
        "Hosting -> Options",
        "Hosting -> Search",
        "Hosting -> Shared",
        "Hosting -> Training",
        "Hosting -> WholeModel",
    ];

    private static readonly Lazy<FolderGraph> Runtime = new(() => FolderGraph.Read(typeof(LoraOptions).Assembly.Location, "src/LoraSdk"));

    [Fact]
    public void The_runtime_has_no_folder_edge_outside_the_allowed_list()
    {
        var allowed = AllowedEdges.ToHashSet(StringComparer.Ordinal);
        var forbidden = Runtime.Value.Edges.Where(e => !allowed.Contains(e.Key)).Select(e => e.Value.ToString()).Order().ToList();
        Assert.True(forbidden.Count == 0,
            "Folder dependencies that ArchitectureTests.AllowedEdges does not allow (move the code, or add the arrow here and in docs/architecture.md):\n  "
            + string.Join("\n  ", forbidden));
    }

    [Fact]
    public void Every_allowed_edge_between_existing_folders_is_in_the_code()
    {
        var folders = Runtime.Value.TypeFolders.Values.OfType<string>().Append("Shared").ToHashSet(StringComparer.Ordinal);
        var gone = AllowedEdges
            .Where(e => Parse(e) is var (from, to) && folders.Contains(from) && folders.Contains(to) && !Runtime.Value.Edges.ContainsKey(e)).ToList();
        Assert.True(gone.Count == 0, "Arrows drawn (ArchitectureTests and docs/architecture.md) that the code no longer has: delete them:\n  " + string.Join("\n  ", gone));
    }

    [Fact]
    public void The_docs_diagram_draws_exactly_the_allowed_edges()
    {
        string root = typeof(ArchitectureTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
        string docs = File.ReadAllText(Path.Combine(root, "docs", "architecture.md"));
        int start = docs.IndexOf("```mermaid", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/architecture.md has no mermaid diagram");
        int end = docs.IndexOf("```", start + 10, StringComparison.Ordinal);
        var drawn = docs[start..end].Split('\n').Select(l => l.Trim()).Where(l => l.Contains("-->", StringComparison.Ordinal))
            .Select(l => string.Join(" -> ", l.Split("-->").Select(n => n.Trim() == "root" ? "(root)" : n.Trim()))).Order().ToList();
        Assert.Equal(AllowedEdges.Order(), drawn);
    }

    [Fact]
    public void The_folder_graph_has_no_cycle()
    {
        Assert.Null(Cycle(AllowedEdges.Select(Parse)));
        var actual = Runtime.Value.Edges.Select(e => (e.Value.From, e.Value.To));
        string? cycle = Cycle(actual);
        Assert.True(cycle is null, $"The runtime's folders depend on each other in a cycle: {cycle}. Examples:\n  " + string.Join("\n  ",
            Runtime.Value.Edges.Values.Where(e => cycle is not null && cycle.Contains($"{e.From} -> {e.To}", StringComparison.Ordinal))));
    }

    [Fact]
    public void The_graph_reader_sees_a_known_edge_and_places_types_in_their_folders()
    {
        // Guards the reader itself: if it silently found nothing, the tests above could not fail.
        Assert.Equal("Hosting", Runtime.Value.TypeFolders["LoraSdk.Hosting.LoraFineTuningService"]);
        Assert.Equal("Options", Runtime.Value.TypeFolders["LoraSdk.LoraOptions"]);
        Assert.Equal("Native", Runtime.Value.TypeFolders["LoraSdk.Native.MallocTrim"]);
        Assert.Equal("(root)", Runtime.Value.TypeFolders["LoraSdk.ILoraLayer"]); // no method bodies: from TypeDefinitionDocuments
        var edge = Runtime.Value.Edges["Hosting -> Search"];
        Assert.Contains("LoraSdk.Search.", edge.Example, StringComparison.Ordinal);
        Assert.True(Runtime.Value.Edges.Count > 20, $"only {Runtime.Value.Edges.Count} edges read");
    }

    [Fact]
    public void The_runtime_never_depends_on_LoraSdk_Models()
    {
        using var pe = new PEReader(File.OpenRead(typeof(LoraOptions).Assembly.Location));
        var md = pe.GetMetadataReader();
        Assert.DoesNotContain("LoraSdk.Models", md.AssemblyReferences.Select(r => md.GetString(md.GetAssemblyReference(r).Name)));
        Assert.DoesNotContain(md.TypeDefinitions, t => md.GetString(md.GetTypeDefinition(t).Namespace).StartsWith("LoraSdk.Models", StringComparison.Ordinal));
    }

    /// <summary>
    /// LoraSdk.Models sees the runtime's internals (InternalsVisibleTo, one package): the internal types and members
    /// it uses are this list, so a new reach into the runtime's inside is a visible change.
    /// </summary>
    internal static readonly string[] RuntimeInternalsModelsUses =
    [
        "LoraSdk.AdapterLoader",
        "LoraSdk.BackwardHandles",
        "LoraSdk.Data.JsonlReader.ParseDocument",
        "LoraSdk.Data.StrictTextFile",
        "LoraSdk.Files.AtomicFile",
        "LoraSdk.Hosting.ConfigurationOrigin",
        "LoraSdk.LoraAdapter.Detach",
        "LoraSdk.LoraAdapter.get_DropoutActive",
        "LoraSdk.LoraAdapter.get_MixedRows",
        "LoraSdk.LoraAdapter.QuantizePlain",
        "LoraSdk.LoraAdapter.Reattach",
        "LoraSdk.LoraRouter.TryGetStandIn",
        "LoraSdk.MixedBatchPlan",
        "LoraSdk.Native.LargeBlockRetention", // a decoder's first training forward keeps glibc's large blocks
        "LoraSdk.SafetensorsEntry",
        "LoraSdk.SafetensorsHeader",
        "LoraSdk.SafetensorsHeader+Failure",
        "LoraSdk.Shapes",
        "LoraSdk.Shared.FineTuneContract",
        "LoraSdk.Training.ParameterGroups", // ImageClassifierTrainer's LoRA+ groups are the text trainer's
        "LoraSdk.Training.ParameterGroups+Group",
    ];

    [Fact]
    public void LoraSdk_Models_uses_only_the_listed_runtime_internals()
    {
        var used = RuntimeInternalsUsedBy(typeof(LoraSdk.Models.BertConfig).Assembly.Location, typeof(LoraOptions).Assembly);
        var extra = used.Except(RuntimeInternalsModelsUses).ToList();
        var gone = RuntimeInternalsModelsUses.Except(used).ToList();
        Assert.True(extra.Count == 0 && gone.Count == 0,
            $"Runtime internals LoraSdk.Models uses, not in ArchitectureTests.RuntimeInternalsModelsUses:\n  {string.Join("\n  ", extra)}\nListed but no longer used:\n  {string.Join("\n  ", gone)}");
    }

    /// <summary>The non-public types and members of <paramref name="runtime"/> that the assembly at <paramref name="path"/> references, as <c>Type</c> or <c>Type.Member</c>.</summary>
    private static SortedSet<string> RuntimeInternalsUsedBy(string path, Assembly runtime)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var md = pe.GetMetadataReader();
        string runtimeName = runtime.GetName().Name!;
        var found = new SortedSet<string>(StringComparer.Ordinal);
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var handle in md.MemberReferences)
        {
            var member = md.GetMemberReference(handle);
            if (member.Parent.Kind != HandleKind.TypeReference || RuntimeType((TypeReferenceHandle)member.Parent) is not { } type) continue;
            string name = md.GetString(member.Name);
            var candidates = type.GetMember(name, all);
            if (type.IsVisible && candidates.Length > 0 && candidates.All(c => !IsPublic(c))) found.Add($"{type.FullName}.{name}");
        }
        foreach (var handle in md.TypeReferences)
            if (RuntimeType(handle) is { IsVisible: false } type) found.Add(type.FullName!);
        return found;

        Type? RuntimeType(TypeReferenceHandle handle)
        {
            var reference = md.GetTypeReference(handle);
            string name = md.GetString(reference.Name);
            if (reference.ResolutionScope.Kind == HandleKind.TypeReference)
                return RuntimeType((TypeReferenceHandle)reference.ResolutionScope)?.GetNestedType(name, BindingFlags.Public | BindingFlags.NonPublic);
            if (reference.ResolutionScope.Kind != HandleKind.AssemblyReference
                || md.GetString(md.GetAssemblyReference((AssemblyReferenceHandle)reference.ResolutionScope).Name) != runtimeName) return null;
            string ns = md.GetString(reference.Namespace);
            return runtime.GetType(ns.Length == 0 ? name : $"{ns}.{name}");
        }
    }

    private static bool IsPublic(MemberInfo member) => member switch
    {
        MethodBase m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly,
        FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
        Type t => t.IsVisible,
        _ => true,
    };

    private static (string From, string To) Parse(string edge)
    {
        var parts = edge.Split(" -> ");
        return parts.Length == 2 ? (parts[0], parts[1]) : throw new FormatException($"'{edge}' is not 'From -> To'");
    }

    /// <summary>A cycle of the directed graph as <c>A -&gt; B -&gt; A</c>, or null.</summary>
    internal static string? Cycle(IEnumerable<(string From, string To)> edges)
    {
        var next = edges.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).Order().ToList());
        var state = new Dictionary<string, int>(); // 1 on the path, 2 done
        var path = new List<string>();
        foreach (string start in next.Keys.Order())
            if (Visit(start) is { } found) return found;
        return null;

        string? Visit(string node)
        {
            if (state.GetValueOrDefault(node) == 2) return null;
            if (state.GetValueOrDefault(node) == 1) return string.Join(" -> ", path.Skip(path.IndexOf(node)).Append(node));
            state[node] = 1;
            path.Add(node);
            foreach (string to in next.GetValueOrDefault(node) ?? [])
                if (Visit(to) is { } found) return found;
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
    }

    [Fact]
    public void The_cycle_finder_finds_a_cycle_and_accepts_a_tree()
    {
        Assert.Equal("A -> B -> C -> A", Cycle([("A", "B"), ("B", "C"), ("C", "A"), ("A", "D")]));
        Assert.Null(Cycle([("A", "B"), ("B", "C"), ("A", "C")]));
    }
}
