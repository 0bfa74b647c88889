using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace LoraSdk.Build.Native
{
    /// <summary>Finds the shared library the dynamic loader would pick for a soname (e.g. libstdc++.so.6).</summary>
    public static class SystemLibraryLocator
    {
        private static readonly string[] WellKnownDirectories =
        {
            "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
            "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib",
        };

        public static string? Find(string soname)
        {
            foreach (var directory in SearchDirectories())
            {
                string candidate = Path.Combine(directory, soname);
                if (File.Exists(candidate)) return candidate;
            }
            return null;
        }

        private static IEnumerable<string> SearchDirectories()
        {
            var fromEnvironment = (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "")
                .Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries);
            return fromEnvironment.Concat(LoaderCacheDirectories()).Concat(WellKnownDirectories);
        }

        /// <summary>Directories listed by `ldconfig -p`, in the loader's order; empty if it cannot run.</summary>
        private static IEnumerable<string> LoaderCacheDirectories()
        {
            foreach (var ldconfig in new[] { "/sbin/ldconfig", "/usr/sbin/ldconfig" })
            {
                if (!File.Exists(ldconfig)) continue;
                string output;
                try
                {
                    var info = new ProcessStartInfo(ldconfig, "-p") { RedirectStandardOutput = true, UseShellExecute = false };
                    using (var process = Process.Start(info)!)
                    {
                        output = process.StandardOutput.ReadToEnd();
                        process.WaitForExit();
                    }
                }
                catch (Exception)
                {
                    continue;
                }
                return output.Split('\n')
                    .Select(line => line.Split(new[] { "=> " }, StringSplitOptions.None))
                    .Where(parts => parts.Length == 2)
                    .Select(parts => Path.GetDirectoryName(parts[1].Trim()))
                    .Where(d => !string.IsNullOrEmpty(d))
                    .Select(d => d!)
                    .Distinct()
                    .ToList();
            }
            return Array.Empty<string>();
        }
    }
}
