using System;
using System.IO;
using System.Text;

namespace LoraSdk.Build.FineTune
{
    /// <summary>
    /// The item's metadata as a file that changes only when the metadata do (as the SDK's CoreCompileInputs.cache):
    /// an input of the fine-tune target, so that <c>Rank="4"</c> instead of <c>Rank="8"</c> in the project retrains,
    /// although no file the program reads changed.
    /// </summary>
    internal static class FineTuneStamp
    {
        public static string PathFor(string intermediateDirectory, string name) => FineTuneItem.StateFile(intermediateDirectory, name, ".options");

        /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> unless it already holds exactly that.</summary>
        public static void WriteIfChanged(string path, string text)
        {
            try
            {
                if (File.Exists(path) && File.ReadAllText(path, Encoding.UTF8) == text) return;
            }
            catch (IOException)
            {
                // Unreadable: write it again.
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text, new UTF8Encoding(false));
        }
    }
}
