// The child process of the hosting tests: the tiny model through the real host, configured by command line.
// LORA_TESTHOST_STEP_DELAY_MS slows training down so a test can send SIGTERM mid-run.
using LoraSdk.Hosting;
using LoraSdk.Training.TestHost;
using Microsoft.Extensions.Hosting;

if (int.TryParse(Environment.GetEnvironmentVariable("LORA_TESTHOST_STEP_DELAY_MS"), out int delay))
    TinyCausalLm.StepDelay = TimeSpan.FromMilliseconds(delay);
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddLoraFineTuning(context => new TinyCausalLm(context.Lora, context.Tokenizer.VocabularySize));
return await builder.Build().RunLoraFineTuningAsync();
