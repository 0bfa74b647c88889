// ResNet-18 benchmarks (docs/benchmarks.md). Build once in Release, then:
//   dotnet run -c Release --project bench/LoraSdk.Bench.ResNet -- finetune --mode probe|lora|full [--size 64 --epochs 3 ...]
//   dotnet run -c Release --project bench/LoraSdk.Bench.ResNet -- steptime [--sizes 32,64,96,128 --batch 32]
//   dotnet run -c Release --project bench/LoraSdk.Bench.ResNet -- speed [--size 224 --batch 4 --seconds 240]
//   dotnet run -c Release --project bench/LoraSdk.Bench.ResNet -- speed --per-layer [--size 224 --batch 4 --rounds 20]
using LoraSdk.Bench.ResNet;

var arguments = new Arguments(args);
return args.FirstOrDefault() switch
{
    "finetune" => FineTuneBench.Run(arguments),
    "steptime" => StepTimeBench.Run(arguments),
    "speed" => arguments.Flag("per-layer") ? PerLayerSpeedBench.Run(arguments) : InferenceSpeedBench.Run(arguments),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: finetune --mode probe|lora|full [--data DIR --train-per-class 200 --validation-per-class 50 --size 64 --epochs 3 --batch 32 --lr X --threads 1]");
    Console.Error.WriteLine("       steptime [--sizes 32,64,96,128,160,224 --batch 32 --steps 5 --threads 1]");
    Console.Error.WriteLine("       speed [--size 224 --batch 4 --seconds 240 (or --rounds N) --warmup 3 --forwards 1 --threads 1 --seed 7]");
    Console.Error.WriteLine("       speed --per-layer [--size 224 --batch 4 --rounds 20 --threads 1]");
    return 1;
}
