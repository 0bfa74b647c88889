using System;
using System.Collections.Generic;
using System.Text;

namespace LoraSdk.Build.Native
{
    /// <summary>
    /// A read-only view of a 64-bit little-endian ELF file: just enough to walk the GNU symbol-versioning
    /// sections (.gnu.version_r needs, .gnu.version_d definitions). Every offset is bounds-checked, so a
    /// truncated or hostile file gives an <see cref="ElfFormatException"/>, never an index error.
    /// </summary>
    internal sealed class ElfImage
    {
        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;

        private readonly byte[] _bytes;
        private readonly string _path;
        private readonly List<Section> _sections = new List<Section>();

        private ElfImage(string path, byte[] bytes)
        {
            _path = path;
            _bytes = bytes;
            ReadHeader();
        }

        public static ElfImage Parse(string path, byte[] bytes) => new ElfImage(path, bytes);

        /// <summary>One version requirement (a Vernaux entry) with where its flags live in the file.</summary>
        public readonly struct VersionNeed
        {
            public VersionNeed(string library, string version, ushort flags, long flagsOffset)
            {
                Library = library;
                Version = version;
                Flags = flags;
                FlagsOffset = flagsOffset;
            }

            public string Library { get; }
            public string Version { get; }
            public ushort Flags { get; }
            public long FlagsOffset { get; }
        }

        public IEnumerable<VersionNeed> VersionNeeds()
        {
            foreach (var section in _sections)
            {
                if (section.Type != ShtGnuVerneed) continue;
                var strings = StringTable(section);
                long entry = section.Offset;
                for (int i = 0; i < CountOrMax(section); i++)
                {
                    RequireInSection(section, entry, 16, "version requirement");
                    ushort auxCount = U16(entry + 2);
                    string library = ReadString(strings, U32(entry + 4));
                    long aux = entry + U32(entry + 8);
                    for (int j = 0; j < auxCount; j++)
                    {
                        RequireInSection(section, aux, 16, "version requirement entry");
                        ushort flags = U16(aux + 4);
                        string version = ReadString(strings, U32(aux + 8));
                        yield return new VersionNeed(library, version, flags, aux + 4);
                        uint nextAux = U32(aux + 12);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    uint next = U32(entry + 12);
                    if (next == 0) break;
                    entry += next;
                }
            }
        }

        /// <summary>The version names a library defines (its .gnu.version_d), e.g. GLIBCXX_3.4.30.</summary>
        public IEnumerable<string> VersionDefinitions()
        {
            foreach (var section in _sections)
            {
                if (section.Type != ShtGnuVerdef) continue;
                var strings = StringTable(section);
                long entry = section.Offset;
                for (int i = 0; i < CountOrMax(section); i++)
                {
                    RequireInSection(section, entry, 20, "version definition");
                    ushort auxCount = U16(entry + 6);
                    if (auxCount > 0)
                    {
                        long aux = entry + U32(entry + 12);
                        RequireInSection(section, aux, 8, "version definition name");
                        yield return ReadString(strings, U32(aux));
                    }
                    uint next = U32(entry + 16);
                    if (next == 0) break;
                    entry += next;
                }
            }
        }

        private int CountOrMax(Section section) => section.Info == 0 ? int.MaxValue : (int)Math.Min(section.Info, int.MaxValue);

        private void ReadHeader()
        {
            if (_bytes.Length < 4 || _bytes[0] != 0x7f || _bytes[1] != (byte)'E' || _bytes[2] != (byte)'L' || _bytes[3] != (byte)'F')
                throw new ElfFormatException(_path, "not an ELF file (bad magic number)");
            if (_bytes.Length < 64)
                throw new ElfFormatException(_path, $"the ELF header is cut short ({_bytes.Length} of 64 bytes; truncated?)");
            if (_bytes[4] != 2) throw new ElfFormatException(_path, "only 64-bit ELF files are supported");
            if (_bytes[5] != 1) throw new ElfFormatException(_path, "only little-endian ELF files are supported");

            long shoff = (long)U64(0x28);
            ushort shentsize = U16(0x3A);
            ushort shnum = U16(0x3C);
            if (shoff == 0 || shnum == 0) throw new ElfFormatException(_path, "the file has no section headers");
            if (shentsize < 64) throw new ElfFormatException(_path, $"section header size {shentsize} is too small");
            for (int i = 0; i < shnum; i++)
            {
                long h = shoff + (long)i * shentsize;
                Require(h, 64, "section header table");
                var s = new Section(
                    type: U32(h + 4),
                    offset: (long)U64(h + 0x18),
                    size: (long)U64(h + 0x20),
                    link: U32(h + 0x28),
                    info: U32(h + 0x2C));
                if (s.Type != 8 /* SHT_NOBITS */) Require(s.Offset, s.Size, $"section {i}");
                _sections.Add(s);
            }
        }

        private Section StringTable(Section owner)
        {
            if (owner.Link >= _sections.Count) throw new ElfFormatException(_path, $"string table index {owner.Link} is out of range");
            return _sections[(int)owner.Link];
        }

        private string ReadString(Section table, uint offset)
        {
            if (offset >= table.Size) throw new ElfFormatException(_path, $"string offset {offset} is outside its table");
            long start = table.Offset + offset;
            long end = start;
            long limit = table.Offset + table.Size;
            while (end < limit && _bytes[end] != 0) end++;
            if (end == limit) throw new ElfFormatException(_path, "unterminated string in the string table");
            return Encoding.ASCII.GetString(_bytes, (int)start, (int)(end - start));
        }

        private void Require(long offset, long length, string what)
        {
            // Compared without adding: a hostile 64-bit size would wrap offset + length around.
            if (offset < 0 || length < 0 || offset > _bytes.Length || length > _bytes.Length - offset)
                throw new ElfFormatException(_path, $"{what} lies beyond the end of the file (truncated?)");
        }

        /// <summary>
        /// Keeps every version entry inside its own section: a damaged offset must not let the patcher
        /// read (or later write the flag bytes) somewhere else in the file.
        /// </summary>
        private void RequireInSection(Section section, long offset, long length, string what)
        {
            if (offset < section.Offset || length > section.Size || offset - section.Offset > section.Size - length)
                throw new ElfFormatException(_path, $"a {what} at offset 0x{offset:x} lies outside its section (0x{section.Offset:x}-0x{section.Offset + section.Size:x}); the file is damaged");
        }

        private ushort U16(long o) { Require(o, 2, "data"); return (ushort)(_bytes[o] | _bytes[o + 1] << 8); }

        private uint U32(long o) { Require(o, 4, "data"); return BitConverter.ToUInt32(_bytes, (int)o); }

        private ulong U64(long o) { Require(o, 8, "data"); return BitConverter.ToUInt64(_bytes, (int)o); }

        private readonly struct Section
        {
            public Section(uint type, long offset, long size, uint link, uint info)
            {
                Type = type; Offset = offset; Size = size; Link = link; Info = info;
            }

            public uint Type { get; }
            public long Offset { get; }
            public long Size { get; }
            public uint Link { get; }
            public uint Info { get; }
        }
    }
}
