using LoraSdk.Data;

namespace LoraSdk.Models;

/// <summary>
/// A <see cref="HuggingFaceTokenizer"/> seen as the host's <see cref="ITextTokenizer"/> (what a model factory gets in
/// <see cref="Hosting.LoraModelContext.Tokenizer"/>): padding fills with the pad token, else the first EOS, else id 0;
/// padded positions are masked out of attention and loss, so which id fills them changes no number.
/// </summary>
internal sealed class ChatTextTokenizer(HuggingFaceTokenizer tokenizer) : ITextTokenizer
{
    public HuggingFaceTokenizer Inner => tokenizer;

    public int VocabularySize => tokenizer.VocabularySize;

    public int PaddingId => tokenizer.PadTokenId ?? (tokenizer.EosTokenIds.Count > 0 ? tokenizer.EosTokenIds[0] : 0);

    public IReadOnlyList<int> Encode(string text) => tokenizer.Encode(text);

    public string Decode(IEnumerable<int> ids) => tokenizer.Decode(ids.ToList());
}
