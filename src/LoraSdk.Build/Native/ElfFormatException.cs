using System;

namespace LoraSdk.Build.Native
{
    /// <summary>The file is not an ELF shared object this patcher understands, or it is damaged.</summary>
    public sealed class ElfFormatException : Exception
    {
        public ElfFormatException(string path, string problem)
            : base($"{path}: {problem}") { }
    }
}
