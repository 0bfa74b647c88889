using System.Runtime.InteropServices;

namespace LoraSdk;

/// <summary>
/// Swaps two folders in one atomic step where the OS can (Linux <c>renameat2(RENAME_EXCHANGE)</c>), so a
/// reader of either path never sees it missing. Elsewhere, or where the file system refuses, callers fall
/// back to two renames.
/// </summary>
internal static class DirectoryExchange
{
    private const int AtCurrentDirectory = -100; // AT_FDCWD
    private const uint RenameExchange = 2;       // RENAME_EXCHANGE

    /// <summary>Exchanges <paramref name="first"/> and <paramref name="second"/>; false if this system cannot.</summary>
    public static bool TryExchange(string first, string second)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return RenameAt2(AtCurrentDirectory, first, AtCurrentDirectory, second, RenameExchange) == 0;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false; // glibc older than 2.28, or another C library without renameat2
        }
    }

    // DllImport rather than LibraryImport: the latter needs AllowUnsafeBlocks for the whole library.
    [DllImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    private static extern int RenameAt2(
        int oldDirectory, [MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath,
        int newDirectory, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath, uint flags);
}
