namespace LoraSdk;

/// <summary>
/// Implemented by a module whose inner module paths changed between LoraSdk versions, so adapter folders
/// written before the change still load: <c>LoadAdapter</c> renames a file key that the model does not have
/// when this module maps it to one it has, and prints one warning line naming the rename.
/// </summary>
public interface IRenamedModulePaths
{
    /// <summary>The current path (relative to this module) of an old one, or null when it was not renamed.</summary>
    string? CurrentPath(string oldPath);

    /// <summary>The renames in a few words for the warning, e.g. <c>attention.query → attention.self.query, …</c>.</summary>
    string RenameSummary { get; }
}
