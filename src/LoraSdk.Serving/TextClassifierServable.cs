using LoraSdk.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Serving;

/// <summary>A classifier's answer: the most probable label and every label's probability.</summary>
/// <param name="Label">The label with the highest probability.</param>
/// <param name="Probabilities">Each label's softmax probability, in label order.</param>
public sealed record ClassificationResult(string Label, IReadOnlyDictionary<string, double> Probabilities);

/// <summary>
/// Serves a BERT-style <see cref="SequenceClassifier"/> (MiniLM, the template's text classifier): texts are encoded,
/// padded to the longest in the batch (masked), run in one forward and turned into probabilities.
/// </summary>
public sealed class TextClassifierServable : IServableModel<string, ClassificationResult>
{
    private readonly SequenceClassifier _model;
    private readonly BertTextEncoder _encoder;
    private readonly string[] _labels;

    /// <summary>Serves <paramref name="model"/> (put in eval mode) with <paramref name="encoder"/>; <paramref name="labels"/> name its outputs.</summary>
    /// <param name="model">The classifier; its default adapter stays active, the store adds the served ones.</param>
    /// <param name="encoder">Turns texts into ids and masks.</param>
    /// <param name="labels">One name per output of the classifier head.</param>
    /// <param name="maxTextLength">Longer texts are refused (400) instead of truncated silently.</param>
    public TextClassifierServable(SequenceClassifier model, BertTextEncoder encoder, IReadOnlyList<string> labels, int maxTextLength = 4096)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count != model.LabelCount)
            throw new ArgumentException($"The classifier has {model.LabelCount} outputs but {labels.Count} labels were given.", nameof(labels));
        _model = model;
        _encoder = encoder;
        _labels = [.. labels];
        MaxTextLength = maxTextLength;
        model.eval();
    }

    /// <summary>The longest text accepted, in characters.</summary>
    public int MaxTextLength { get; }

    /// <summary>The labels, in output order.</summary>
    public IReadOnlyList<string> Labels => _labels;

    /// <inheritdoc />
    public nn.Module Module => _model;

    /// <inheritdoc />
    public void Validate(string request)
    {
        if (request is null) throw ServingRequestException.BadField("text", "is missing.");
        if (request.Length > MaxTextLength) throw ServingRequestException.BadField("text", $"is {request.Length} characters; at most {MaxTextLength} are accepted.");
    }

    /// <inheritdoc />
    public string BatchKey(string request) => "";

    /// <inheritdoc />
    public IReadOnlyList<ClassificationResult> Run(IReadOnlyList<string> requests, CancellationToken cancellation = default)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var batch = _encoder.EncodeBatch(requests);
        var logits = _model.call(batch.InputIds, batch.AttentionMask);
        var probabilities = nn.functional.softmax(logits.to(float64), dim: 1).data<double>().ToArray();
        var results = new ClassificationResult[requests.Count];
        for (int row = 0; row < requests.Count; row++)
        {
            var p = new Dictionary<string, double>(StringComparer.Ordinal);
            int best = 0;
            for (int k = 0; k < _labels.Length; k++)
            {
                p[_labels[k]] = probabilities[row * _labels.Length + k];
                if (probabilities[row * _labels.Length + k] > probabilities[row * _labels.Length + best]) best = k;
            }
            results[row] = new ClassificationResult(_labels[best], p);
        }
        return results;
    }
}
