using System;
using System.IO;
using System.Linq;
using LoraSdk.Shared;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace LoraSdk.Build.Tasks
{
    /// <summary>
    /// Deletes the folders under <see cref="Root"/> (and <see cref="Root"/> itself) that hold no file: MSBuild's
    /// incremental clean and <c>dotnet clean</c> delete the adapter files a build copied to <c>lora/</c> but leave
    /// their folders. A folder with any file in it, at any depth, stays.
    /// </summary>
    public sealed class RemoveEmptyFolders : Task
    {
        [Required]
        public string Root { get; set; } = "";

        public override bool Execute()
        {
            if (Directory.Exists(Root)) RemoveIfEmpty(new DirectoryInfo(Root));
            return !Log.HasLoggedErrors;
        }

        /// <summary>Removes the empty folders below <paramref name="folder"/>, then it when nothing is left.</summary>
        private void RemoveIfEmpty(DirectoryInfo folder)
        {
            foreach (var child in folder.GetDirectories()) RemoveIfEmpty(child);
            if (folder.EnumerateFileSystemInfos().Any()) return;
            try
            {
                folder.Delete();
                Log.LogMessage(MessageImportance.Low, $"Removed the empty folder {folder.FullName}.");
            }
            catch (IOException e)
            {
                Log.LogWarning(null, FineTuneContract.BuildCodes.EmptyFolderNotRemoved, null, null, 0, 0, 0, 0, $"Could not remove the empty folder {folder.FullName}: {e.Message}");
            }
            catch (UnauthorizedAccessException e)
            {
                Log.LogWarning(null, FineTuneContract.BuildCodes.EmptyFolderNotRemoved, null, null, 0, 0, 0, 0, $"Could not remove the empty folder {folder.FullName}: {e.Message}");
            }
        }
    }
}
