using System.Buffers.Binary;
using System.Text;

namespace LoraSdk.Testing;

/// <summary>
/// A second, deliberately plain reading of an ELF file's symbol-version requirements (.gnu.version_r),
/// written apart from the SDK's parser so tests check the patcher against something it did not compute.
/// Trusts its input: it is only pointed at real libraries.
/// </summary>
internal static class ReferenceElfReader
{
    private const uint VersionNeedSectionType = 0x6ffffffe;
    public const ushort WeakFlag = 0x2;

    /// <summary>One Vernaux entry: the version name, its flags and the file offset of those flags.</summary>
    public sealed record VersionNeed(string Version, ushort Flags, int FlagsOffset)
    {
        public bool IsWeak => (Flags & WeakFlag) != 0;
    }

    public static IReadOnlyList<VersionNeed> VersionNeeds(byte[] elf)
    {
        var file = elf.AsSpan();
        int tableOffset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file[0x28..]));
        int headerSize = BinaryPrimitives.ReadUInt16LittleEndian(file[0x3A..]);
        int headerCount = BinaryPrimitives.ReadUInt16LittleEndian(file[0x3C..]);

        var needs = new List<VersionNeed>();
        for (int i = 0; i < headerCount; i++)
        {
            var header = file.Slice(tableOffset + i * headerSize, headerSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != VersionNeedSectionType) continue;
            int start = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..]));
            int stringsSection = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[0x28..]);
            int entryCount = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[0x2C..]);
            var stringsHeader = file.Slice(tableOffset + stringsSection * headerSize, headerSize);
            int strings = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(stringsHeader[0x18..]));

            int entry = start;
            for (int n = 0; n < entryCount; n++)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(file[(entry + 2)..]);
                int aux = entry + (int)BinaryPrimitives.ReadUInt32LittleEndian(file[(entry + 8)..]);
                for (int k = 0; k < auxCount; k++)
                {
                    ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(file[(aux + 4)..]);
                    int name = strings + (int)BinaryPrimitives.ReadUInt32LittleEndian(file[(aux + 8)..]);
                    needs.Add(new VersionNeed(CString(elf, name), flags, aux + 4));
                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(file[(aux + 12)..]);
                }
                entry += (int)BinaryPrimitives.ReadUInt32LittleEndian(file[(entry + 12)..]);
            }
        }
        return needs;
    }

    /// <summary>The file offset and size of the first section of the given type.</summary>
    public static (int Offset, int Size) SectionOfType(byte[] elf, uint type)
    {
        var file = elf.AsSpan();
        int tableOffset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file[0x28..]));
        int headerSize = BinaryPrimitives.ReadUInt16LittleEndian(file[0x3A..]);
        int headerCount = BinaryPrimitives.ReadUInt16LittleEndian(file[0x3C..]);
        for (int i = 0; i < headerCount; i++)
        {
            var header = file.Slice(tableOffset + i * headerSize, headerSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) == type)
                return ((int)BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..]), (int)BinaryPrimitives.ReadUInt64LittleEndian(header[0x20..]));
        }
        throw new InvalidOperationException($"no section of type 0x{type:x}");
    }

    public static (int Offset, int Size) VersionNeedSection(byte[] elf) => SectionOfType(elf, VersionNeedSectionType);

    /// <summary>Where the section-header table starts and how long it is.</summary>
    public static (int Offset, int Size) SectionHeaderTable(byte[] elf)
    {
        var file = elf.AsSpan();
        int offset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file[0x28..]));
        return (offset, BinaryPrimitives.ReadUInt16LittleEndian(file[0x3A..]) * BinaryPrimitives.ReadUInt16LittleEndian(file[0x3C..]));
    }

    /// <summary>
    /// Whether the NUL-delimited string occurs anywhere in the file: for libstdc++ the names of the versions
    /// it defines are exactly such strings in its dynamic string table.
    /// </summary>
    public static bool ContainsString(byte[] file, string value)
    {
        byte[] needle = Encoding.ASCII.GetBytes("\0" + value + "\0");
        return file.AsSpan().IndexOf(needle) >= 0;
    }

    private static string CString(byte[] file, int start)
    {
        int end = Array.IndexOf(file, (byte)0, start);
        return Encoding.ASCII.GetString(file, start, end - start);
    }
}
