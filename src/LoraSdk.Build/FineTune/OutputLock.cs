using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace LoraSdk.Build.FineTune
{
    /// <summary>
    /// One fine-tune at a time per adapter folder, across processes: two builds of one project (an IDE and a
    /// terminal, say) would otherwise train into the same checkpoint folder at once. The lock is a file opened
    /// without sharing (an OS lock, released when a process dies), kept in the temp folder under a hash of the
    /// adapter path so it never clutters the project and is never deleted while someone may wait on it.
    /// </summary>
    internal sealed class OutputLock : IDisposable
    {
        private readonly FileStream _stream;

        private OutputLock(FileStream stream) => _stream = stream;

        public static string PathFor(string outputFullPath)
        {
            string normalized = outputFullPath.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
            using (var sha = SHA256.Create())
            {
                byte[] hash = sha.ComputeHash(Encoding.UTF8.GetBytes(normalized));
                var name = new StringBuilder("lorasdk-");
                for (int i = 0; i < 12; i++) name.Append(hash[i].ToString("x2"));
                return Path.Combine(Path.GetTempPath(), "lorasdk-locks", name.Append(".lock").ToString());
            }
        }

        /// <summary>Takes the lock now, or returns null when another process holds it.</summary>
        public static OutputLock? TryTake(string lockPath)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
            try
            {
                return new OutputLock(new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                return null;
            }
        }

        /// <summary>
        /// Takes the lock, calling <paramref name="onWait"/> once if it has to wait; null when
        /// <paramref name="cancelled"/> is set first.
        /// </summary>
        public static OutputLock? Take(string lockPath, Action onWait, WaitHandle cancelled, TimeSpan pollInterval)
        {
            var taken = TryTake(lockPath);
            if (taken != null) return taken;
            onWait();
            while (taken == null)
            {
                if (cancelled.WaitOne(pollInterval)) return null;
                taken = TryTake(lockPath);
            }
            return taken;
        }

        public void Dispose() => _stream.Dispose();
    }
}
