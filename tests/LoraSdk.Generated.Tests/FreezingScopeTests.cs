using LoraSdk.Generated.Tests.Models;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static LoraSdk.Generated.Tests.TestTensors;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests;

/// <summary>
/// PEFT's freezing scope on a plain top model holding [LoRA] blocks plus its own LayerNorm and head: everything
/// outside the adapters and the declared modules_to_save is frozen in the whole model, and CountParameters(),
/// a user's own optimizer and SaveAdapter agree with it.
/// </summary>
public sealed class FreezingScopeTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "lora-freezing-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private const long LoraPerBlock = 4 * (TopModel.Dim + TopModel.Hidden) * 2; // up and down: r·(in + out) each, r = 4
    private const long BasePerBlock = TopModel.Dim * TopModel.Hidden + TopModel.Hidden + TopModel.Hidden * TopModel.Dim + TopModel.Dim;
    private const long NormAndHead = 2 * TopModel.Dim + TopModel.Dim * TopModel.Classes + TopModel.Classes;

    private static Dictionary<string, Tensor> Snapshot(nn.Module model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

    private static IReadOnlyList<string> Changed(nn.Module model, Dictionary<string, Tensor> before) =>
        model.named_parameters().Where(p => !p.parameter.eq(before[p.name]).all().item<bool>()).Select(p => p.name).Order().ToList();

    private static void TrainOneStep(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
    {
        manual_seed(41);
        using var x = randn(4, TopModel.Dim);
        using (var loss = model.call(x).pow(2).mean()) loss.backward();
        optimizer.step();
    }

    [Fact]
    public void CountParameters_reports_only_the_adapters_as_trainable()
    {
        manual_seed(40);
        using var model = new TopModel();
        model.FreezeBase(); // the plain top model's own norm and head: an explicit step

        var count = model.CountParameters();

        Assert.Equal(2 * LoraPerBlock, count.Trainable);
        Assert.Equal(2 * (LoraPerBlock + BasePerBlock) + NormAndHead, count.Total);
        Assert.All(model.named_parameters().Where(p => p.name.StartsWith("norm.") || p.name.StartsWith("head.")),
            p => Assert.False(p.parameter.requires_grad, p.name));
    }

    [Fact]
    public void Queries_freeze_nothing()
    {
        manual_seed(40);
        using var model = new TopModel();
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();

        Assert.NotEmpty(model.LoraParameters());
        var count = model.CountParameters();
        Assert.Equal(4, model.ActiveLoraAdapters().Count); // up and down of two blocks

        Assert.Equal(trainable, model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList());
        Assert.Equal(2 * LoraPerBlock + NormAndHead, count.Trainable); // the blocks were frozen when built; norm and head are not yet
    }

    [Fact]
    public void A_users_optimizer_over_trainable_parameters_changes_only_the_adapters()
    {
        manual_seed(40);
        using var model = new TopModel();
        RandomizeLora(model);
        model.FreezeBase(); // the explicit step that freezes the plain top model's own layers
        var before = Snapshot(model);
        using var optimizer = optim.AdamW(model.parameters().Where(p => p.requires_grad), 1e-2);

        TrainOneStep(model, optimizer);

        var changed = Changed(model, before);
        Assert.NotEmpty(changed);
        Assert.All(changed, name => Assert.Matches(@"^blocks\.\d\.(up|down)_lora\.lora_[AB]\.weight$", name));
    }

    [Fact]
    public void The_adapter_file_holds_the_adapters_only()
    {
        manual_seed(40);
        using var model = new TopModel();
        RandomizeLora(model);

        model.SaveAdapter(_directory);

        var keys = Safetensors.LoadStateDict(Path.Combine(_directory, AdapterModelExtensions.WeightsFileName)).Keys.Order().ToList();
        string[] expected = [.. from block in new[] { 0, 1 } from layer in new[] { "down", "up" } from factor in new[] { "A", "B" }
                                select $"base_model.model.blocks.{block}.{layer}.lora_{factor}.weight"];
        Assert.Equal(expected, keys);
    }

    [Fact]
    public void Declared_modules_to_save_stay_trainable_and_are_saved()
    {
        manual_seed(40);
        using var model = new TopModel();
        model.FreezeBase("head");
        var before = Snapshot(model);
        using var optimizer = optim.AdamW(model.parameters().Where(p => p.requires_grad), 1e-2);

        Assert.Equal(2 * LoraPerBlock + TopModel.Dim * TopModel.Classes + TopModel.Classes, model.CountParameters().Trainable);
        RandomizeLora(model);
        TrainOneStep(model, optimizer);
        model.SaveAdapter(_directory, new AdapterSaveOptions { ModulesToSave = ["head"] });

        Assert.Contains("head.weight", Changed(model, before));
        Assert.DoesNotContain(Changed(model, before), name => name.StartsWith("norm."));
        var keys = Safetensors.LoadStateDict(Path.Combine(_directory, AdapterModelExtensions.WeightsFileName)).Keys;
        Assert.Contains("base_model.model.head.weight", keys);
    }

    [Fact]
    public void SaveAdapter_refuses_a_trained_layer_it_would_leave_out()
    {
        manual_seed(40);
        using var model = new TopModel();
        // No model-wide call before the optimizer: the head is still trainable and gets trained.
        using var optimizer = optim.AdamW(model.parameters().Where(p => p.requires_grad), 1e-2);
        TrainOneStep(model, optimizer);

        var error = Assert.Throws<InvalidOperationException>(() => model.SaveAdapter(_directory));

        Assert.Contains("'head'", error.Message);
        Assert.Contains("'norm'", error.Message);
        Assert.Contains("ModulesToSave", error.Message);
        Assert.False(Directory.Exists(_directory));
        model.SaveAdapter(_directory, new AdapterSaveOptions { ModulesToSave = ["head", "norm"] });
        Assert.True(File.Exists(Path.Combine(_directory, AdapterModelExtensions.WeightsFileName)));
    }
}
