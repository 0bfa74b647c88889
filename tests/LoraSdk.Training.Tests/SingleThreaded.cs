using System.Runtime.CompilerServices;

namespace LoraSdk.Training.Tests;

internal static class SingleThreaded
{
    /// <summary>
    /// Tiny models run fastest on one intra-op thread, and a busy 2-core CI machine makes OpenMP's spinning
    /// threads much slower still; one thread also keeps every run's arithmetic order the same.
    /// </summary>
    [ModuleInitializer]
    internal static void Initialize() => TorchSharp.torch.set_num_threads(1);
}
