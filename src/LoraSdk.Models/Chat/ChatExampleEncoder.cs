using LoraSdk.Data;

namespace LoraSdk.Models;

/// <summary>
/// Turns a conversation into a training example whose loss covers only the assistant's tokens (labels -100 elsewhere,
/// as TRL's completion-only collator writes them). The chat template renders the conversation; each assistant turn is
/// the text between the prompt that asks for it (the conversation before it, with the generation prompt) and the
/// conversation including it, so it ends with the template's end-of-turn token and the model learns to stop. Prompt
/// and answer pieces are tokenised separately, as at inference the prompt is encoded alone and the answer generated.
/// </summary>
public static class ChatExampleEncoder
{
    /// <summary>
    /// The example for <paramref name="record"/>, and a warning (the canonical <c>file(line,1): warning LORA207</c> line)
    /// when left truncation cut inside an assistant turn; null when there is none.
    /// Throws <see cref="LoraInputException"/> for a conversation the template refuses or one that does not fit.
    /// </summary>
    public static (EncodedExample Example, string? Warning) Encode(ChatRecord record, HuggingFaceTokenizer tokenizer, ChatDataOptions options)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        var template = options.Template ?? tokenizer.ChatTemplate;
        var (ids, labels) = Tokenise(record, tokenizer, template);
        if (ids.Count <= options.MaxLength) return (new EncodedExample([.. ids], TokenLabels: [.. labels]), null);

        if (options.Overflow == ChatOverflow.Refuse)
            throw new LoraInputException(LoraErrorCodes.SequenceTooLong, record.File, record.Line, 1,
                $"the conversation is {ids.Count} tokens, more than MaxLength ({options.MaxLength}); shorten it, raise MaxLength or let the data options truncate from the left.");
        int cut = ids.Count - options.MaxLength;
        var keptLabels = labels.Skip(cut).ToArray();
        if (keptLabels.All(l => l == EncodedExample.IgnoredTokenLabel))
            throw new LoraInputException(LoraErrorCodes.SequenceTooLong, record.File, record.Line, 1,
                $"the conversation is {ids.Count} tokens; its last {options.MaxLength} (MaxLength) hold no assistant token, so nothing would be learnt from it.");
        bool cutInsideAnswer = labels[cut - 1] != EncodedExample.IgnoredTokenLabel && labels[cut] != EncodedExample.IgnoredTokenLabel;
        string? warning = cutInsideAnswer
            ? $"{record.File}({record.Line},1): warning {LoraErrorCodes.TruncatedTurn}: the conversation is {ids.Count} tokens, more than MaxLength ({options.MaxLength}); " +
              "truncating it from the left cuts inside an assistant turn, whose first tokens are not trained on."
            : null;
        // The first kept token has no context, so it is never a target (it could not be predicted from anything).
        keptLabels[0] = EncodedExample.IgnoredTokenLabel;
        return (new EncodedExample([.. ids.Skip(cut)], TokenLabels: keptLabels), warning);
    }

    /// <summary>All tokens of the conversation and their labels (the token id inside assistant turns, -100 elsewhere).</summary>
    private static (List<int> Ids, List<int> Labels) Tokenise(ChatRecord record, HuggingFaceTokenizer tokenizer, ChatTemplate template)
    {
        var ids = new List<int>();
        var labels = new List<int>();
        string full = Render(record, tokenizer, template, record.Messages.Count, generationPrompt: false);
        int done = 0;
        void Add(int end, bool scored)
        {
            if (end <= done) return;
            foreach (int id in tokenizer.Encode(full[done..end], addSpecialTokens: false))
            {
                ids.Add(id);
                labels.Add(scored ? id : EncodedExample.IgnoredTokenLabel);
            }
            done = end;
        }
        for (int i = 0; i < record.Messages.Count; i++)
        {
            if (record.Messages[i].Role != "assistant") continue;
            string prompt = Render(record, tokenizer, template, i, generationPrompt: true);
            string withAnswer = Render(record, tokenizer, template, i + 1, generationPrompt: false);
            // Exactness check: the template must render the conversation as a sequence of prefixes, or the answer's
            // span (and so the loss mask) would not be the text the model is asked to produce at inference.
            if (!withAnswer.StartsWith(prompt, StringComparison.Ordinal) || !full.StartsWith(withAnswer, StringComparison.Ordinal) || prompt.Length < done)
                throw new LoraInputException(LoraErrorCodes.InvalidRecord, record.File, record.Line, 1,
                    $"the {template.Name} chat template does not render this conversation turn by turn (messages[{i}]), so its assistant tokens cannot be told apart.");
            Add(prompt.Length, scored: false);
            Add(withAnswer.Length, scored: true);
        }
        Add(full.Length, scored: false);
        return (ids, labels);
    }

    private static string Render(ChatRecord record, HuggingFaceTokenizer tokenizer, ChatTemplate template, int count, bool generationPrompt)
    {
        try
        {
            return tokenizer.ApplyChatTemplate(record.Messages.Take(count).ToList(), generationPrompt, template);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new LoraInputException(LoraErrorCodes.InvalidRecord, record.File, record.Line, 1, $"the {template.Name} chat template refuses the conversation: {e.Message}.", e);
        }
    }
}
