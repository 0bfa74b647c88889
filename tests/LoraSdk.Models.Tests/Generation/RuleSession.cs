using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Generation;

/// <summary>
/// A decoding session whose logits at a position are a fixed function of that row's real tokens so far (the positions
/// the mask marks 1), so a padded row gets what the prompt gets alone only if the loop pads and masks right. It checks
/// the contract's shapes and records what each row was fed.
/// </summary>
internal sealed class RuleSession(long batch, int vocab, Func<IReadOnlyList<int>, float[]> rule) : IDecodingSession
{
    private readonly List<int>[] history = Enumerable.Range(0, (int)batch).Select(_ => new List<int>()).ToArray();

    public long Batch => batch;
    public long PastLength { get; private set; }
    public int Steps { get; private set; }
    public bool Disposed { get; private set; }

    /// <summary>Steps that ran with autograd on (generation should run none).</summary>
    public int GradEnabledSteps { get; private set; }

    /// <summary>Every (id, mask) fed to each row, padding included.</summary>
    public List<(long Id, long Mask)>[] Fed { get; } = Enumerable.Range(0, (int)batch).Select(_ => new List<(long, long)>()).ToArray();

    /// <summary>Called at the start of every step (the streaming tests block or cancel there).</summary>
    public Action<int>? OnStep { get; init; }

    public Tensor Step(Tensor ids, Tensor attentionMask)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        OnStep?.Invoke(Steps);
        if (is_grad_enabled()) GradEnabledSteps++;
        long t = ids.shape[1];
        Assert.Equal([batch, t], ids.shape);
        Assert.Equal([batch, PastLength + t], attentionMask.shape);
        var idValues = ids.data<long>().ToArray();
        var maskValues = attentionMask.to_type(ScalarType.Int64).data<long>().ToArray();
        var logits = new float[batch * t * vocab];
        for (int r = 0; r < batch; r++)
            for (int j = 0; j < t; j++)
            {
                long id = idValues[r * t + j], m = maskValues[r * (PastLength + t) + PastLength + j];
                Fed[r].Add((id, m));
                if (m == 1) history[r].Add((int)id);
                if (history[r].Count > 0) rule(history[r]).CopyTo(logits, (r * t + j) * vocab);
            }
        PastLength += t;
        Steps++;
        return tensor(logits, [batch, t, vocab]);
    }

    public void Dispose() => Disposed = true;

    /// <summary>A factory that also keeps the sessions it made.</summary>
    public sealed class Factory(int vocab, Func<IReadOnlyList<int>, float[]> rule, Action<int>? onStep = null)
    {
        public List<RuleSession> Made { get; } = [];

        public IDecodingSession Start(long batch)
        {
            var session = new RuleSession(batch, vocab, rule) { OnStep = onStep };
            Made.Add(session);
            return session;
        }
    }

    /// <summary>
    /// Logits that make <paramref name="next"/>(history) the clear argmax (10 against values in [0, 1) that differ per
    /// id), so greedy decoding follows the rule.
    /// </summary>
    public static Func<IReadOnlyList<int>, float[]> Following(int vocab, Func<IReadOnlyList<int>, int> next) => h =>
    {
        var logits = new float[vocab];
        for (int i = 0; i < vocab; i++) logits[i] = (i * 37 % vocab) / (float)vocab;
        logits[next(h)] = 10f;
        return logits;
    };

    /// <summary>
    /// A rule that continues each known prompt (by its bytes, after BOS) with its script, then repeats <paramref name="filler"/>
    /// (also the answer to any other history).
    /// </summary>
    public static Func<IReadOnlyList<int>, float[]> Scripted(IReadOnlyDictionary<string, int[]> scripts, int filler = 'z') =>
        Following(ByteTokenizer.Vocab, h =>
        {
            foreach (var (prompt, script) in scripts)
            {
                var ids = new ByteTokenizer().Encode(prompt, addSpecialTokens: true);
                if (h.Count >= ids.Count && h.Take(ids.Count).SequenceEqual(ids))
                {
                    int k = h.Count - ids.Count;
                    return k < script.Length ? script[k] : filler;
                }
            }
            return filler; // a prompt's own earlier positions (only the last position's logits are used)
        });
}
