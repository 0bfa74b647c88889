using LoraSdk.Hosting;
using LoraSdk.Models.Gguf;
using LoraSdk.Models.Tests.Gguf;
using LoraSdk.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Integration;

/// <summary>
/// <c>LoRA:Gguf=true</c> through the fine-tuning host in this process (what the build's <c>Gguf="true"</c> runs): a tiny
/// random CausalLM trained for a few steps, its GGUF adapter applied by llama.cpp (LLamaSharp) on the exported base
/// answers greedily exactly as CausalLM with the PEFT adapter; the refusals before training; a failed export that
/// leaves the PEFT adapter intact.
/// </summary>
[Collection(nameof(GgufHostExportTests))]
[CollectionDefinition(nameof(GgufHostExportTests), DisableParallelization = true)] // the host swaps Console.Error
public sealed class GgufHostExportTests(ITestOutputHelper output)
{
    // As CausalLMLlamaCppParityTests: F32 base and adapter, F32 K/V cache in llama.cpp.
    private const double F32Tolerance = 1e-4;

    [Fact]
    public async Task The_built_gguf_adapter_through_llama_cpp_answers_as_causal_lm_with_the_peft_adapter()
    {
        using var dir = new TempDirectory();
        string folder = TinyCausalLMs.WriteFolder(dir, "llama-gqa");
        string adapter = dir.File("adapter");
        var (exitCode, stderr) = await Train(dir, folder, adapter, registerExporter: true, "--LoRA:Gguf=true", "--LoRA:GgufBaseType=F32");
        Assert.True(exitCode == FineTuningExitCodes.Success, stderr);

        Assert.Equal(["FROM ./base_model.gguf", "ADAPTER ./adapter_model.gguf"],
            File.ReadAllLines(Path.Combine(adapter, "Modelfile")).Where(l => !l.StartsWith('#')).Where(l => l.Length > 0));

        using var model = CausalLM.Load(folder, LoadOptions);
        model.LoadAdapter(adapter);
        using var llama = LlamaCppModel.Load(Path.Combine(adapter, "base_model.gguf"), Path.Combine(adapter, "adapter_model.gguf"));
        using var plain = LlamaCppModel.Load(Path.Combine(adapter, "base_model.gguf"));
        var greedy = new GenerationOptions { MaxNewTokens = 12, EosTokenIds = [] };
        foreach (int[] prompt in TinyCausalLMs.Prompts(seed: 13))
        {
            using var scope = NewDisposeScope();
            Tensor ours = TinyCausalLMs.Logits(model, prompt);
            double error = GgufParityAssert.MaxRelativeError(llama.Logits(prompt), ours);
            double baseError = GgufParityAssert.MaxRelativeError(plain.Logits(prompt), ours);
            output.WriteLine($"{prompt.Length} tokens: GGUF adapter {error:E2}, base alone {baseError:E2}");
            Assert.True(error <= F32Tolerance, $"prompt of {prompt.Length}: relative error {error:E2} > {F32Tolerance:E0}");
            // The trained adapter must move the logits, or losing it in the export would go unseen.
            Assert.True(baseError > 10 * F32Tolerance, $"prompt of {prompt.Length}: the adapter changed the logits by only {baseError:E2}");
            Assert.Equal(model.Generate([prompt], greedy)[0].TokenIds, llama.Greedy(prompt, newTokens: 12));
        }
    }

    [Fact]
    public async Task Gguf_without_an_exporter_for_the_model_is_refused_before_training()
    {
        using var dir = new TempDirectory();
        string folder = TinyCausalLMs.WriteFolder(dir, "llama-gqa");

        // No exporter registered at all: a start-up option error.
        string unregistered = dir.File("unregistered");
        var (exitCode, stderr) = await Train(dir, folder, unregistered, registerExporter: false, "--LoRA:Gguf=true");
        Assert.True(exitCode == FineTuningExitCodes.InvalidInput, stderr);
        Assert.Contains("error LORA210: LoRA:Gguf = true: no Gguf exporter is registered", stderr);
        Assert.False(Directory.Exists(unregistered));

        // Registered, but the model is not a CausalLM (a classifier, say): refused once built, before the first step.
        string classifier = dir.File("classifier");
        (exitCode, stderr) = await Run(dir, classifier, services =>
        {
            services.AddLoraGgufExport();
            services.AddLoraFineTuning(context => new NotADecoder(context.Tokenizer.VocabularySize));
        }, "--LoRA:Gguf=true");
        Assert.True(exitCode == FineTuningExitCodes.InvalidInput, stderr);
        Assert.Contains("error LORA210: LoRA:Gguf = true: CausalLMGgufExporter: NotADecoder is not a CausalLM", stderr);
        Assert.Contains("nothing was trained", stderr);
        Assert.False(Directory.Exists(classifier));

        // A CausalLM the exporter cannot write (here: built in code, so no tokenizer folder for the GGUF vocabulary): its reason.
        string mixed = dir.File("no-tokenizer");
        (exitCode, stderr) = await Run(dir, mixed, services =>
        {
            services.AddLoraGgufExport();
            services.AddLoraFineTuning(_ => new CausalLM(new DecoderConfig
            {
                VocabSize = 288, HiddenSize = 64, IntermediateSize = 96, NumLayers = 1, NumHeads = 4, NumKeyValueHeads = 2, HeadDim = 16, BosTokenId = 1, EosTokenIds = [2],
            }));
        }, "--LoRA:Gguf=true");
        Assert.True(exitCode == FineTuningExitCodes.InvalidInput, stderr);
        Assert.Contains("GGUF export needs a tokenizer: this CausalLM was not loaded from a folder", stderr);
        Assert.False(Directory.Exists(mixed));

        // With a search (the export would need the winner's model): refused at start-up.
        (exitCode, stderr) = await Train(dir, folder, mixed, registerExporter: true, "--LoRA:Gguf=true", "--LoRA:Search=Rank=2,4", "--LoRA:Budget=2");
        Assert.True(exitCode == FineTuningExitCodes.InvalidInput, stderr);
        Assert.Contains("LoRA:Gguf = true: is not supported with a search", stderr);

        // And a base type llama.cpp's converter does not write.
        (exitCode, stderr) = await Train(dir, folder, mixed, registerExporter: true, "--LoRA:Gguf=true", "--LoRA:GgufBaseType=Q4_K");
        Assert.True(exitCode == FineTuningExitCodes.InvalidInput, stderr);
        Assert.Contains("LoRA:GgufBaseType = Q4_K: must be one of F16, F32, Q8_0.", stderr);
    }

    [Fact]
    public async Task A_failed_export_names_the_file_and_leaves_the_peft_adapter_intact_and_stale_exports_go()
    {
        using var dir = new TempDirectory();
        string folder = TinyCausalLMs.WriteFolder(dir, "llama-gqa");
        string adapter = dir.File("adapter");
        var (exitCode, stderr) = await Train(dir, folder, adapter, registerExporter: true, "--LoRA:Gguf=true");
        Assert.True(exitCode == FineTuningExitCodes.Success, stderr);
        Assert.True(File.Exists(Path.Combine(adapter, "base_model.gguf")));

        // A later run without Gguf: the GGUF files of the earlier adapter must not stay beside the new one.
        (exitCode, stderr) = await Train(dir, folder, adapter, registerExporter: true, "--LoRA:Seed=7");
        Assert.True(exitCode == FineTuningExitCodes.Success, stderr);
        Assert.All(new[] { "adapter_model.gguf", "base_model.gguf", "Modelfile" }, f => Assert.False(File.Exists(Path.Combine(adapter, f)), f));
        int[] prompt = TinyCausalLMs.Prompts(seed: 3)[2];
        Tensor secondRun = LogitsWithAdapter(folder, adapter, prompt);

        // A folder where the base GGUF goes: that file cannot be written, after the PEFT adapter was.
        Directory.CreateDirectory(Path.Combine(adapter, "base_model.gguf"));
        (exitCode, stderr) = await Train(dir, folder, adapter, registerExporter: true, "--LoRA:Gguf=true", "--LoRA:Seed=11");
        Assert.Equal(FineTuningExitCodes.Failed, exitCode);
        string blocked = Path.Combine(adapter, "base_model.gguf");
        Assert.Contains($"{blocked}: error LORA240: adapter export failed", stderr);
        Assert.Contains("the PEFT adapter in", stderr);
        Assert.Empty(Directory.EnumerateFiles(adapter, ".*tmp-*")); // no half-written temporary file left
        Assert.False(File.Exists(Path.Combine(adapter, "Modelfile")));

        // The PEFT adapter saved before the export is complete: both files are there, it loads, and it is a trained one.
        Assert.True(File.Exists(Path.Combine(adapter, "adapter_model.safetensors")) && File.Exists(Path.Combine(adapter, "adapter_config.json")));
        // (seed 11, not the seed-7 adapter of the run before, which a lost save would have left in place).
        Assert.True(LogitsWithAdapter(folder, adapter, prompt).sub(secondRun).abs().max().item<double>() > 1e-3,
            "the adapter left after the failed export is the previous run's: this run's PEFT adapter was not kept");
        using var baseOnly = CausalLM.Load(folder, LoadOptions);
        Assert.True(secondRun.sub(TinyCausalLMs.Logits(baseOnly, prompt)).abs().max().item<double>() > 1e-3, "the adapters do not change the model");
    }

    private static Tensor LogitsWithAdapter(string folder, string adapter, int[] prompt)
    {
        using var model = CausalLM.Load(folder, LoadOptions);
        model.LoadAdapter(adapter);
        return TinyCausalLMs.Logits(model, prompt);
    }

    private static readonly CausalLMLoadOptions LoadOptions = new() { TargetModules = CausalLMLoadOptions.AllTargetModules, Rank = 4, Alpha = 8 };

    /// <summary>Fine-tunes the CausalLM in <paramref name="folder"/> through the host for a few steps on byte-tokenized lines.</summary>
    private static Task<(int ExitCode, string Stderr)> Train(TempDirectory dir, string folder, string adapter, bool registerExporter, params string[] args) =>
        Run(dir, adapter, services =>
        {
            if (registerExporter) services.AddLoraGgufExport();
            services.AddLoraFineTuning(_ => CausalLM.Load(folder, LoadOptions));
        }, args);

    private static async Task<(int ExitCode, string Stderr)> Run(TempDirectory dir, string adapter, Action<IServiceCollection> register, params string[] args)
    {
        string data = dir.File("train.txt");
        File.WriteAllLines(data, Enumerable.Range(0, 8).Select(i => $"ticket {i}: the answer is {(i % 3 == 0 ? "yes" : "no")}."));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = dir.Path,
            Args = [$"--LoRA:Dataset={data}", $"--LoRA:Output={adapter}", "--LoRA:Epochs=2", "--LoRA:BatchSize=4", "--LoRA:LearningRate=0.02",
                "--LoRA:MaxLength=32", "--LoRA:ValidationSplit=0", "--LoRA:Progress=Plain", .. args],
        });
        register(builder.Services);
        using var host = builder.Build();
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            return (await host.RunLoraFineTuningAsync(), error.ToString());
        }
        finally
        {
            Console.SetError(original);
        }
    }

    /// <summary>A trainable model that is no decoder LLM (stands for a classifier): GGUF export must refuse it.</summary>
    private sealed class NotADecoder : nn.Module<Tensor, Tensor>, ILoraTrainableModel
    {
        private readonly TorchSharp.Modules.Embedding embedding;

        public NotADecoder(int vocabulary) : base(nameof(NotADecoder))
        {
            embedding = nn.Embedding(vocabulary, vocabulary);
            RegisterComponents();
        }

        public LoraTask Task => LoraTask.CausalLanguageModeling;

        public Tensor ComputeLogits(Tensor inputIds, Tensor attentionMask) => forward(inputIds);

        public override Tensor forward(Tensor input) => embedding.call(input);
    }
}
