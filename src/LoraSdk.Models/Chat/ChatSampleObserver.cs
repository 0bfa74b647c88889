using System.Globalization;
using System.Text.Json;
using LoraSdk.Training;

namespace LoraSdk.Models;

/// <summary>
/// Watches a chat fine-tune: at each evaluation it prints the validation loss and perplexity, and the model's greedy
/// answers to the first few validation prompts next to the expected answers, and writes them all to
/// <see cref="SamplesFileName"/> in <c>outputDirectory</c> (beside the adapter; rewritten whole each time through a
/// temporary file, so a run killed mid-write leaves the previous version). Greedy decoding draws no random numbers, so a
/// run with this observer trains exactly as one without it. Every other notification goes to the inner observer.
/// </summary>
public sealed class ChatSampleObserver : ITrainingObserver
{
    /// <summary>The file the samples are written to: one JSON object per line, <c>{"step", "prompt", "expected", "generated"}</c>.</summary>
    public const string SamplesFileName = "samples.jsonl";

    private readonly CausalLM _model;
    private readonly IReadOnlyList<(IReadOnlyList<ChatMessage> Prompt, string Expected)> _prompts;
    private readonly ChatTemplate _template;
    private readonly TextWriter _output;
    private readonly string? _outputDirectory;
    private readonly ITrainingObserver? _inner;
    private readonly GenerationOptions _generation;
    private readonly List<string> _lines = [];

    /// <param name="model">The model being trained (its <see cref="CausalLM.Tokenizer"/> encodes the prompts).</param>
    /// <param name="validation">Validation conversations: each one's last assistant turn is the expected answer to what comes before it.</param>
    /// <param name="output">Where the evaluation lines and samples are printed.</param>
    /// <param name="outputDirectory">Where <see cref="SamplesFileName"/> is written; null writes no file.</param>
    /// <param name="samples">How many validation prompts to answer at each evaluation (default 3).</param>
    /// <param name="maxNewTokens">The longest answer generated (default 64).</param>
    /// <param name="template">The chat template; null uses the tokenizer's.</param>
    /// <param name="inner">Receives every notification too (the progress line, checkpoints).</param>
    public ChatSampleObserver(CausalLM model, IReadOnlyList<ChatRecord> validation, TextWriter output, string? outputDirectory = null,
        int samples = 3, int maxNewTokens = 64, ChatTemplate? template = null, ITrainingObserver? inner = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(output);
        var tokenizer = model.Tokenizer ?? throw new ArgumentException("The model has no tokenizer to encode the validation prompts with.", nameof(model));
        _model = model;
        _template = template ?? tokenizer.ChatTemplate;
        _output = output;
        _outputDirectory = outputDirectory;
        _inner = inner;
        _prompts = validation.Take(samples).Select(record =>
        {
            int last = record.Messages.Select(m => m.Role).ToList().LastIndexOf("assistant");
            return ((IReadOnlyList<ChatMessage>)record.Messages.Take(last).ToList(), record.Messages[last].Content);
        }).ToList();
        _generation = new GenerationOptions { MaxNewTokens = maxNewTokens, EosTokenIds = tokenizer.ChatStopTokenIds(_template) };
    }

    /// <summary>The validation perplexity for a mean token loss (e^loss).</summary>
    public static double Perplexity(double loss) => Math.Exp(loss);

    /// <inheritdoc />
    public void OnEvaluation(EvaluationResult evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"step {evaluation.Step}: validation loss {evaluation.Loss:0.0000}, perplexity {Perplexity(evaluation.Loss):0.00}{(evaluation.IsBest ? " (best so far)" : "")}"));
        if (_prompts.Count > 0)
        {
            var ids = _prompts.Select(p => _model.Tokenizer!.EncodeChat(p.Prompt, addGenerationPrompt: true, _template)).ToList();
            var answers = _model.Generate(ids, _generation);
            for (int i = 0; i < _prompts.Count; i++)
            {
                var (prompt, expected) = _prompts[i];
                string question = prompt.LastOrDefault(m => m.Role == "user")?.Content ?? "";
                _output.WriteLine($"  > {question}");
                _output.WriteLine($"  < {answers[i].Text}");
                _output.WriteLine($"    (expected: {expected})");
                _lines.Add(JsonSerializer.Serialize(new { step = evaluation.Step, prompt = question, expected, generated = answers[i].Text }));
            }
            WriteSamples();
        }
        _inner?.OnEvaluation(evaluation);
    }

    private void WriteSamples()
    {
        if (_outputDirectory is null) return;
        Directory.CreateDirectory(_outputDirectory);
        string path = Path.Combine(_outputDirectory, SamplesFileName);
        string temporary = path + ".tmp";
        File.WriteAllLines(temporary, _lines);
        File.Move(temporary, path, overwrite: true);
    }

    /// <inheritdoc />
    public void OnStep(StepProgress progress) => _inner?.OnStep(progress);

    /// <inheritdoc />
    public void OnCheckpoint(string directory) => _inner?.OnCheckpoint(directory);

    /// <inheritdoc />
    public void OnResumed(int step, string directory) => _inner?.OnResumed(step, directory);

    /// <inheritdoc />
    public void OnCheckpointIgnored(string directory, string reason) => _inner?.OnCheckpointIgnored(directory, reason);

    /// <inheritdoc />
    public void OnCheckpointDamaged(string file, string problem, string keptAs) => _inner?.OnCheckpointDamaged(file, problem, keptAs);
}
