using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using LoraSdk.Shared;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace LoraSdk.Build.FineTune
{
    /// <summary>
    /// What a trained adapter puts into the build and publish output: its PEFT files in <c>lora/&lt;name&gt;/</c>
    /// and the loss curve as <c>lora/&lt;name&gt;.loss.svg</c>, the layout the trainer writes under obj/.
    /// The app finds them relative to itself (LoraSdk's <c>ShippedAdapter</c>); checkpoints never ship.
    /// </summary>
    internal static class ShippedAdapterFiles
    {
        /// <summary>The folder under the output and publish folders; LoraSdk's runtime looks there too.</summary>
        public const string OutputFolder = "lora";

        /// <summary>Items (source path) with <c>TargetPath</c> (relative to the output folder) and <c>LoraFineTune</c> (the item name).</summary>
        public static IEnumerable<ITaskItem> For(string name, string adapterDirectory)
        {
            foreach (string file in FineTuneContract.AdapterFiles)
                yield return Item(name, Path.Combine(adapterDirectory, file), OutputFolder + "/" + name + "/" + file);
            yield return Item(name, FineTuneContract.Beside(adapterDirectory, FineTuneContract.LossCurveSuffix),
                OutputFolder + "/" + name + FineTuneContract.LossCurveSuffix);
        }

        /// <summary>A name that is one folder name: it cannot point outside <c>lora/</c>.</summary>
        public static bool IsValidName(string name) =>
            name.Length > 0 && name != "." && name != ".." && name.Trim() == name
            && name.IndexOfAny(Path.GetInvalidFileNameChars().Concat(new[] { '/', '\\', ':' }).ToArray()) < 0;

        private static ITaskItem Item(string name, string source, string targetPath)
        {
            var item = new TaskItem(source);
            item.SetMetadata("TargetPath", targetPath.Replace('/', Path.DirectorySeparatorChar));
            item.SetMetadata("LoraFineTune", name);
            return item;
        }
    }
}
