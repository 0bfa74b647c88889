// Tests seed TorchSharp's global generator (manual_seed) and compare models built from it: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
