using System.Buffers.Binary;
using System.Text;

namespace LoraSdk.Build.Tests.Support;

/// <summary>
/// Writes the smallest ELF shared object that carries version definitions (.dynstr + .gnu.version_d):
/// a stand-in for libstdc++ that defines exactly the versions a test chooses, whatever this machine has.
/// </summary>
internal static class FakeSharedLibrary
{
    private const int HeaderSize = 64, SectionHeaderSize = 64, DefinitionSize = 20, DefinitionNameSize = 8;

    public static string Write(string path, string soname, params string[] versions)
    {
        File.WriteAllBytes(path, Build(soname, versions));
        return path;
    }

    private static byte[] Build(string soname, string[] versions)
    {
        // The first definition names the library itself (VER_FLG_BASE), as in real libraries.
        string[] names = [soname, .. versions];
        var strings = new MemoryStream();
        strings.WriteByte(0);
        var nameOffsets = names.Select(name =>
        {
            int offset = (int)strings.Length;
            strings.Write(Encoding.ASCII.GetBytes(name + "\0"));
            return offset;
        }).ToArray();

        int stringsOffset = HeaderSize;
        int definitionsOffset = Align8(stringsOffset + (int)strings.Length);
        int definitionsSize = names.Length * (DefinitionSize + DefinitionNameSize);
        int sectionTableOffset = Align8(definitionsOffset + definitionsSize);
        var file = new byte[sectionTableOffset + 3 * SectionHeaderSize];
        var span = file.AsSpan();

        "\u007fELF"u8.CopyTo(span);
        span[4] = 2; // 64-bit
        span[5] = 1; // little-endian
        span[6] = 1; // ELF version
        BinaryPrimitives.WriteUInt16LittleEndian(span[0x10..], 3); // ET_DYN
        BinaryPrimitives.WriteUInt16LittleEndian(span[0x12..], 62); // x86-64
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x14..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(span[0x28..], (ulong)sectionTableOffset);
        BinaryPrimitives.WriteUInt16LittleEndian(span[0x34..], HeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(span[0x3A..], SectionHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(span[0x3C..], 3);

        strings.ToArray().CopyTo(span[stringsOffset..]);
        for (int i = 0; i < names.Length; i++)
        {
            var definition = span[(definitionsOffset + i * (DefinitionSize + DefinitionNameSize))..];
            BinaryPrimitives.WriteUInt16LittleEndian(definition, 1); // vd_version
            BinaryPrimitives.WriteUInt16LittleEndian(definition[2..], (ushort)(i == 0 ? 1 : 0)); // vd_flags
            BinaryPrimitives.WriteUInt16LittleEndian(definition[4..], (ushort)(i + 1)); // vd_ndx
            BinaryPrimitives.WriteUInt16LittleEndian(definition[6..], 1); // vd_cnt
            BinaryPrimitives.WriteUInt32LittleEndian(definition[12..], DefinitionSize); // vd_aux
            bool last = i == names.Length - 1;
            BinaryPrimitives.WriteUInt32LittleEndian(definition[16..], last ? 0u : DefinitionSize + DefinitionNameSize); // vd_next
            BinaryPrimitives.WriteUInt32LittleEndian(definition[DefinitionSize..], (uint)nameOffsets[i]); // vda_name
        }

        // [0] null, [1] .dynstr (SHT_STRTAB), [2] .gnu.version_d (SHT_GNU_verdef, linked to [1]).
        WriteSection(span, sectionTableOffset, 1, type: 3, stringsOffset, (int)strings.Length, link: 0, info: 0);
        WriteSection(span, sectionTableOffset, 2, type: 0x6ffffffd, definitionsOffset, definitionsSize, link: 1, info: (uint)names.Length);
        return file;
    }

    private static void WriteSection(Span<byte> file, int table, int index, uint type, int offset, int size, uint link, uint info)
    {
        var header = file[(table + index * SectionHeaderSize)..];
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], type);
        BinaryPrimitives.WriteUInt64LittleEndian(header[0x18..], (ulong)offset);
        BinaryPrimitives.WriteUInt64LittleEndian(header[0x20..], (ulong)size);
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x28..], link);
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x2C..], info);
    }

    private static int Align8(int value) => (value + 7) & ~7;
}
