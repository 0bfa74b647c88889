namespace LoraSdk.Data;

/// <summary>How a plain-text file is split into examples.</summary>
public enum TextFileMode
{
    /// <summary>One example per non-blank line.</summary>
    Lines,

    /// <summary>The whole file is one corpus, later cut into fixed-length token blocks.</summary>
    Corpus,
}
