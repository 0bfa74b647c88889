using System;
using System.IO;
using System.Linq;

namespace LoraSdk.Build.Native
{
    public enum PatchOutcome
    {
        /// <summary>The requirement was strong and is now weak.</summary>
        Patched,
        /// <summary>Every requirement for the version was weak already; the file was not rewritten.</summary>
        AlreadyWeak,
    }

    /// <summary>
    /// Marks a GNU symbol-version requirement weak (VER_FLG_WEAK) in an ELF shared object, so the dynamic
    /// loader accepts a library that lacks that version. Only the two flag bytes change; the result is
    /// written to a temporary file beside the original and renamed over it, so a failure leaves the file
    /// as it was (and a hard link into the NuGet cache is never written through).
    /// </summary>
    public static class ElfVersionPatcher
    {
        public const ushort VerFlagWeak = 0x2;

        public static PatchOutcome MarkVersionWeak(string path, string version)
        {
            byte[] bytes = ReadAll(path);
            var image = ElfImage.Parse(path, bytes);
            var needs = image.VersionNeeds().Where(n => n.Version == version).ToList();
            if (needs.Count == 0)
                throw new ElfFormatException(path, $"the file has no requirement for symbol version '{version}'");
            if (needs.All(n => (n.Flags & VerFlagWeak) != 0)) return PatchOutcome.AlreadyWeak;

            foreach (var need in needs)
            {
                ushort flags = (ushort)(need.Flags | VerFlagWeak);
                bytes[need.FlagsOffset] = (byte)flags;
                bytes[need.FlagsOffset + 1] = (byte)(flags >> 8);
            }

            string temp = path + ".lorasdk-" + Guid.NewGuid().ToString("N") + ".tmp";
            try
            {
                File.Copy(path, temp); // keeps the original's permission bits on Unix
                using (var stream = new FileStream(temp, FileMode.Open, FileAccess.Write))
                {
                    foreach (var need in needs)
                    {
                        stream.Position = need.FlagsOffset;
                        stream.Write(bytes, (int)need.FlagsOffset, 2);
                    }
                }
                File.Replace(temp, path, null);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
            return PatchOutcome.Patched;
        }

        /// <summary>Whether the file still has a strong (non-weak) requirement for the version.</summary>
        public static bool RequiresVersion(string path, string version) =>
            ElfImage.Parse(path, ReadAll(path)).VersionNeeds().Any(n => n.Version == version && (n.Flags & VerFlagWeak) == 0);

        /// <summary>Whether a shared library defines the version (e.g. libstdc++ defining GLIBCXX_3.4.32).</summary>
        public static bool DefinesVersion(string libraryPath, string version) =>
            ElfImage.Parse(libraryPath, ReadAll(libraryPath)).VersionDefinitions().Contains(version);

        private static byte[] ReadAll(string path)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
            return File.ReadAllBytes(path);
        }
    }
}
