// LoraSdk quick start: fine-tunes the LoRA adapters of a tiny byte-level language model on data/train.txt,
// shows progress, writes a PEFT adapter folder plus a loss curve, and prints the adapter path last.
// Every setting is in appsettings.json ("LoRA" section) and can be overridden: --LoRA:Epochs=2, LoRA__Seed=7.
using LoraSdk.Hosting;
using Microsoft.Extensions.Hosting;
using QuickStart;

// Settings, data and output are found next to the program, whichever folder `dotnet run` starts in.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddLoraFineTuning(_ => new TinyByteLm());
return await builder.Build().RunLoraFineTuningAsync();
