using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace LoraSdk.Tests.Architecture;

/// <summary>One folder-to-folder dependency, with the first reference found that makes it (for the failure message).</summary>
internal sealed record FolderEdge(string From, string To, string Example)
{
    public override string ToString() => $"{From} -> {To}   (e.g. {Example})";
}

/// <summary>
/// The folder graph of a built assembly, read exactly from what the compiler wrote instead of from namespaces
/// (most runtime types live in namespace <c>LoraSdk</c> whatever their folder): each method body belongs to the
/// source file its portable PDB names (the file that declares a type without methods comes from the PDB's
/// TypeDefinitionDocuments record), and a method's references are the type, method and field tokens of its IL,
/// its signature, its locals and its attributes; a type's own references are its base type, interfaces, field
/// types and attributes. A reference to a type of the same assembly points at the folder of the file that
/// declares it (for a partial type in several folders, the file named after the type); a call of a method points
/// at the folder of that method's file. References to other assemblies and compiler-generated files (regex
/// generators, assembly info under obj/) are not edges.
/// </summary>
internal sealed class FolderGraph
{
    private const string TypeDefinitionDocumentsGuid = "932E74BC-DBA9-4478-8D46-0F32A7BAB3D3";

    private readonly PEReader _pe;
    private readonly MetadataReader _md;
    private readonly MetadataReader _pdb;
    private readonly string _sourceFolder;
    private readonly Dictionary<TypeDefinitionHandle, string?> _typeFolders = [];
    private readonly Dictionary<string, FolderEdge> _edges = new(StringComparer.Ordinal);

    /// <summary>Every folder-to-folder edge, keyed <c>From -&gt; To</c>, each with an example reference.</summary>
    public IReadOnlyDictionary<string, FolderEdge> Edges => _edges;

    /// <summary>The folder of each type of the assembly, by full name (null: a compiler-generated file).</summary>
    public IReadOnlyDictionary<string, string?> TypeFolders { get; }

    private FolderGraph(PEReader pe, MetadataReader md, MetadataReader pdb, string sourceFolder)
    {
        _pe = pe;
        _md = md;
        _pdb = pdb;
        _sourceFolder = sourceFolder;
        foreach (var type in md.TypeDefinitions) _typeFolders[type] = HomeFolder(type);
        TypeFolders = md.TypeDefinitions.Where(t => md.GetTypeDefinition(t).GetDeclaringType().IsNil)
            .ToDictionary(Name, t => _typeFolders[t], StringComparer.Ordinal);
        foreach (var type in md.TypeDefinitions)
        {
            AddTypeReferences(type);
            foreach (var method in md.GetTypeDefinition(type).GetMethods()) AddMethodReferences(type, method);
        }
    }

    /// <summary>
    /// Reads <paramref name="assemblyPath"/> and the portable PDB beside it; folders are the first path segment
    /// below <paramref name="sourceFolder"/> (e.g. <c>src/LoraSdk/</c>: <c>Layers</c>, <c>(root)</c> for files
    /// directly in it); a file elsewhere in the repository is named by its folder below <c>src/</c> (e.g. <c>Shared</c>).
    /// </summary>
    public static FolderGraph Read(string assemblyPath, string sourceFolder)
    {
        string pdbPath = Path.ChangeExtension(assemblyPath, ".pdb");
        if (!File.Exists(pdbPath)) throw new FileNotFoundException($"The portable PDB beside {assemblyPath} is missing: the folder graph is read from it.", pdbPath);
        using var pe = new PEReader(File.OpenRead(assemblyPath));
        using var pdbProvider = MetadataReaderProvider.FromPortablePdbStream(File.OpenRead(pdbPath));
        return new FolderGraph(pe, pe.GetMetadataReader(), pdbProvider.GetMetadataReader(), sourceFolder);
    }

    /// <summary>The folder of <paramref name="document"/>; null for a file the compiler or a generator wrote.</summary>
    private string? FolderOf(DocumentHandle document)
    {
        string path = _pdb.GetString(_pdb.GetDocument(document).Name).Replace('\\', '/');
        string marker = "/" + _sourceFolder.Trim('/') + "/";
        int at = path.LastIndexOf(marker, StringComparison.Ordinal);
        if (at >= 0)
        {
            string rest = path[(at + marker.Length)..];
            if (rest.StartsWith("obj/", StringComparison.Ordinal) || rest.StartsWith("bin/", StringComparison.Ordinal)) return null;
            int slash = rest.IndexOf('/');
            return slash < 0 ? "(root)" : rest[..slash];
        }
        int src = path.LastIndexOf("/src/", StringComparison.Ordinal);
        if (src >= 0 && path.IndexOf('/', src + 5) is int end and > 0) return path[(src + 5)..end];
        return null; // generated (e.g. System.Text.RegularExpressions.Generator/…/RegexGenerator.g.cs)
    }

    private string? MethodFolder(MethodDefinitionHandle method)
    {
        var info = _pdb.GetMethodDebugInformation(method.ToDebugInformationHandle());
        if (!info.Document.IsNil) return FolderOf(info.Document);
        foreach (var point in info.GetSequencePoints()) return FolderOf(point.Document);
        return null;
    }

    /// <summary>The folder that declares a type: of its methods' files (the one named after it when several), else its TypeDefinitionDocuments.</summary>
    private string? HomeFolder(TypeDefinitionHandle handle)
    {
        var type = _md.GetTypeDefinition(handle);
        if (!type.GetDeclaringType().IsNil) return HomeFolder(type.GetDeclaringType());
        var files = new List<(string? Folder, string File)>();
        foreach (var method in AllMethods(handle))
        {
            var info = _pdb.GetMethodDebugInformation(method.ToDebugInformationHandle());
            var document = !info.Document.IsNil ? info.Document : info.GetSequencePoints().Select(p => p.Document).FirstOrDefault();
            if (!document.IsNil) files.Add((FolderOf(document), Path.GetFileName(_pdb.GetString(_pdb.GetDocument(document).Name).Replace('\\', '/'))));
        }
        foreach (var document in DeclaringDocuments(handle)) files.Add((FolderOf(document), Path.GetFileName(_pdb.GetString(_pdb.GetDocument(document).Name).Replace('\\', '/'))));
        var own = files.Where(f => f.Folder is not null).ToList();
        if (own.Select(f => f.Folder).Distinct().Count() <= 1) return own.FirstOrDefault().Folder;
        string name = _md.GetString(type.Name).Split('`')[0];
        return own.FirstOrDefault(f => f.File == name + ".cs").Folder ?? own.GroupBy(f => f.Folder).OrderByDescending(g => g.Count()).First().Key;
    }

    /// <summary>The methods of a type and of its nested (also compiler-generated) types.</summary>
    private IEnumerable<MethodDefinitionHandle> AllMethods(TypeDefinitionHandle handle)
    {
        var type = _md.GetTypeDefinition(handle);
        foreach (var method in type.GetMethods()) yield return method;
        foreach (var nested in type.GetNestedTypes())
            foreach (var method in AllMethods(nested)) yield return method;
    }

    private IEnumerable<DocumentHandle> DeclaringDocuments(TypeDefinitionHandle handle)
    {
        foreach (var cdi in _pdb.GetCustomDebugInformation(handle))
        {
            var info = _pdb.GetCustomDebugInformation(cdi);
            if (_pdb.GetGuid(info.Kind) != new Guid(TypeDefinitionDocumentsGuid)) continue;
            var blob = _pdb.GetBlobReader(info.Value);
            while (blob.RemainingBytes > 0) yield return MetadataTokens.DocumentHandle(blob.ReadCompressedInteger());
        }
    }

    private void AddTypeReferences(TypeDefinitionHandle handle)
    {
        var type = _md.GetTypeDefinition(handle);
        string? from = _typeFolders[handle];
        if (from is null) return;
        string where = Name(handle);
        if (!type.BaseType.IsNil) AddEntity(from, type.BaseType, where, "derives from");
        foreach (var i in type.GetInterfaceImplementations()) AddEntity(from, _md.GetInterfaceImplementation(i).Interface, where, "implements");
        foreach (var f in type.GetFields())
        {
            var field = _md.GetFieldDefinition(f);
            foreach (var target in field.DecodeSignature(Types, null)) AddType(from, target, $"{where}.{_md.GetString(field.Name)}", "field of type");
            AddAttributes(from, field.GetCustomAttributes(), $"{where}.{_md.GetString(field.Name)}");
        }
        foreach (var p in type.GetProperties())
            AddAttributes(from, _md.GetPropertyDefinition(p).GetCustomAttributes(), $"{where}.{_md.GetString(_md.GetPropertyDefinition(p).Name)}");
        AddAttributes(from, type.GetCustomAttributes(), where);
    }

    private void AddMethodReferences(TypeDefinitionHandle type, MethodDefinitionHandle handle)
    {
        var method = _md.GetMethodDefinition(handle);
        string? from = MethodFolder(handle) ?? _typeFolders[type];
        if (from is null) return;
        string where = $"{Name(type)}.{_md.GetString(method.Name)}";
        var signature = method.DecodeSignature(Types, null);
        foreach (var target in signature.ReturnType.Concat(signature.ParameterTypes.SelectMany(p => p))) AddType(from, target, where, "signature uses");
        AddAttributes(from, method.GetCustomAttributes(), where);
        foreach (var p in method.GetParameters()) AddAttributes(from, _md.GetParameter(p).GetCustomAttributes(), where);
        if (method.RelativeVirtualAddress == 0) return;
        var body = _pe.GetMethodBody(method.RelativeVirtualAddress);
        if (!body.LocalSignature.IsNil)
            foreach (var target in _md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(Types, null).SelectMany(l => l))
                AddType(from, target, where, "local of type");
        foreach (int token in IlTokens(body.GetILReader())) AddEntity(from, MetadataTokens.EntityHandle(token), where, "uses");
    }

    private void AddAttributes(string from, CustomAttributeHandleCollection attributes, string where)
    {
        foreach (var a in attributes) AddEntity(from, _md.GetCustomAttribute(a).Constructor, where, "has attribute");
    }

    /// <summary>Adds the edges to whatever of this assembly <paramref name="entity"/> names (a type, method, field, or an instantiation of one).</summary>
    private void AddEntity(string from, EntityHandle entity, string where, string how)
    {
        switch (entity.Kind)
        {
            case HandleKind.TypeDefinition:
                AddType(from, (TypeDefinitionHandle)entity, where, how);
                break;
            case HandleKind.TypeSpecification:
                foreach (var t in _md.GetTypeSpecification((TypeSpecificationHandle)entity).DecodeSignature(Types, null)) AddType(from, t, where, how);
                break;
            case HandleKind.MethodDefinition:
                var method = (MethodDefinitionHandle)entity;
                string? to = MethodFolder(method) ?? _typeFolders[_md.GetMethodDefinition(method).GetDeclaringType()];
                Add(from, to, $"{where} {how} {Name(_md.GetMethodDefinition(method).GetDeclaringType())}.{_md.GetString(_md.GetMethodDefinition(method).Name)}");
                break;
            case HandleKind.FieldDefinition:
                var field = _md.GetFieldDefinition((FieldDefinitionHandle)entity);
                AddType(from, field.GetDeclaringType(), where, how);
                break;
            case HandleKind.MemberReference:
                var member = _md.GetMemberReference((MemberReferenceHandle)entity);
                AddEntity(from, member.Parent, where, how);
                if (member.GetKind() == MemberReferenceKind.Method)
                {
                    var signature = member.DecodeMethodSignature(Types, null);
                    foreach (var t in signature.ReturnType.Concat(signature.ParameterTypes.SelectMany(p => p))) AddType(from, t, where, how);
                }
                else foreach (var t in member.DecodeFieldSignature(Types, null)) AddType(from, t, where, how);
                break;
            case HandleKind.MethodSpecification:
                var spec = _md.GetMethodSpecification((MethodSpecificationHandle)entity);
                AddEntity(from, spec.Method, where, how);
                foreach (var t in spec.DecodeSignature(Types, null).SelectMany(a => a)) AddType(from, t, where, how);
                break;
            case HandleKind.StandaloneSignature:
                var standalone = _md.GetStandaloneSignature((StandaloneSignatureHandle)entity);
                if (standalone.GetKind() == StandaloneSignatureKind.Method)
                {
                    var signature = standalone.DecodeMethodSignature(Types, null);
                    foreach (var t in signature.ReturnType.Concat(signature.ParameterTypes.SelectMany(p => p))) AddType(from, t, where, how);
                }
                break;
        }
    }

    private void AddType(string from, TypeDefinitionHandle type, string where, string how) =>
        Add(from, _typeFolders[type], $"{where} {how} {Name(type)}");

    private void Add(string from, string? to, string example)
    {
        if (to is null || to == from) return;
        _edges.TryAdd($"{from} -> {to}", new FolderEdge(from, to, example));
    }

    private string Name(TypeDefinitionHandle handle)
    {
        var type = _md.GetTypeDefinition(handle);
        string name = _md.GetString(type.Name);
        return type.GetDeclaringType().IsNil
            ? (_md.GetString(type.Namespace) is { Length: > 0 } ns ? $"{ns}.{name}" : name)
            : $"{Name(type.GetDeclaringType())}+{name}";
    }

    /// <summary>The metadata tokens of a method body's IL: the operands of the instructions that take a type, method, field or signature.</summary>
    private static IEnumerable<int> IlTokens(BlobReader il)
    {
        var tokens = new List<int>();
        while (il.RemainingBytes > 0)
        {
            int code = il.ReadByte();
            if (code == 0xFE) code = 0xFE00 | il.ReadByte();
            var op = (ILOpCode)code;
            if (TakesToken(op)) { tokens.Add(il.ReadInt32()); continue; }
            if (op == ILOpCode.Switch) { il.Offset += 4 * il.ReadInt32(); continue; }
            il.Offset += OperandSize(op);
        }
        return tokens;
    }

    private static bool TakesToken(ILOpCode op) => op is ILOpCode.Jmp or ILOpCode.Call or ILOpCode.Calli or ILOpCode.Callvirt or ILOpCode.Cpobj
        or ILOpCode.Ldobj or ILOpCode.Newobj or ILOpCode.Castclass or ILOpCode.Isinst or ILOpCode.Unbox or ILOpCode.Ldfld or ILOpCode.Ldflda
        or ILOpCode.Stfld or ILOpCode.Ldsfld or ILOpCode.Ldsflda or ILOpCode.Stsfld or ILOpCode.Stobj or ILOpCode.Box or ILOpCode.Newarr
        or ILOpCode.Ldelema or ILOpCode.Ldelem or ILOpCode.Stelem or ILOpCode.Unbox_any or ILOpCode.Refanyval or ILOpCode.Mkrefany
        or ILOpCode.Ldtoken or ILOpCode.Ldftn or ILOpCode.Ldvirtftn or ILOpCode.Initobj or ILOpCode.Constrained or ILOpCode.Sizeof;

    /// <summary>The operand size of an instruction that takes no token (ECMA-335 III).</summary>
    private static int OperandSize(ILOpCode op) => (int)op switch
    {
        >= (int)ILOpCode.Br_s and <= (int)ILOpCode.Blt_un_s => 1,
        >= (int)ILOpCode.Br and <= (int)ILOpCode.Blt_un => 4,
        0xFE19 => 1, // no. (a prefix with a one-byte operand)
        _ => OtherOperandSize(op),
    };

    private static int OtherOperandSize(ILOpCode op) => op switch
    {
        ILOpCode.Ldarg_s or ILOpCode.Ldarga_s or ILOpCode.Starg_s or ILOpCode.Ldloc_s or ILOpCode.Ldloca_s or ILOpCode.Stloc_s
            or ILOpCode.Ldc_i4_s or ILOpCode.Unaligned or ILOpCode.Leave_s => 1,
        ILOpCode.Ldarg or ILOpCode.Ldarga or ILOpCode.Starg or ILOpCode.Ldloc or ILOpCode.Ldloca or ILOpCode.Stloc => 2,
        ILOpCode.Ldc_i4 or ILOpCode.Ldc_r4 or ILOpCode.Ldstr or ILOpCode.Leave => 4,
        ILOpCode.Ldc_i8 or ILOpCode.Ldc_r8 => 8,
        _ => 0,
    };

    private static readonly TypeCollector Types = new();

    /// <summary>Decodes a signature into the type definitions of this assembly it names (generic arguments, arrays, pointers included).</summary>
    private sealed class TypeCollector : ISignatureTypeProvider<ImmutableArray<TypeDefinitionHandle>, object?>
    {
        private static readonly ImmutableArray<TypeDefinitionHandle> None = [];
        public ImmutableArray<TypeDefinitionHandle> GetArrayType(ImmutableArray<TypeDefinitionHandle> elementType, ArrayShape shape) => elementType;
        public ImmutableArray<TypeDefinitionHandle> GetByReferenceType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;
        public ImmutableArray<TypeDefinitionHandle> GetFunctionPointerType(MethodSignature<ImmutableArray<TypeDefinitionHandle>> signature) =>
            signature.ReturnType.AddRange(signature.ParameterTypes.SelectMany(p => p));
        public ImmutableArray<TypeDefinitionHandle> GetGenericInstantiation(ImmutableArray<TypeDefinitionHandle> genericType, ImmutableArray<ImmutableArray<TypeDefinitionHandle>> typeArguments) =>
            genericType.AddRange(typeArguments.SelectMany(a => a));
        public ImmutableArray<TypeDefinitionHandle> GetGenericMethodParameter(object? genericContext, int index) => None;
        public ImmutableArray<TypeDefinitionHandle> GetGenericTypeParameter(object? genericContext, int index) => None;
        public ImmutableArray<TypeDefinitionHandle> GetModifiedType(ImmutableArray<TypeDefinitionHandle> modifier, ImmutableArray<TypeDefinitionHandle> unmodifiedType, bool isRequired) => unmodifiedType.AddRange(modifier);
        public ImmutableArray<TypeDefinitionHandle> GetPinnedType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;
        public ImmutableArray<TypeDefinitionHandle> GetPointerType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;
        public ImmutableArray<TypeDefinitionHandle> GetPrimitiveType(PrimitiveTypeCode typeCode) => None;
        public ImmutableArray<TypeDefinitionHandle> GetSZArrayType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;
        public ImmutableArray<TypeDefinitionHandle> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => [handle];
        public ImmutableArray<TypeDefinitionHandle> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => None;
        public ImmutableArray<TypeDefinitionHandle> GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
    }
}
