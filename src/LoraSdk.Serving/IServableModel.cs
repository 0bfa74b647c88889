using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Serving;

/// <summary>
/// A model that the batcher can serve: one base <see cref="Module"/> whose adapters the <see cref="AdapterStore"/>
/// loads, and a batched run over requests. The batcher calls <see cref="Run"/> inside a <c>UseAdapterPerRow</c> scope
/// (row i of the batch uses request i's adapter), always from one worker, never concurrently.
/// </summary>
/// <typeparam name="TRequest">One caller's input (a text to classify, a prompt with its decoding options).</typeparam>
/// <typeparam name="TResult">One caller's answer.</typeparam>
public interface IServableModel<TRequest, TResult>
{
    /// <summary>The adapted model: the store loads adapters into it and the per-row scope is set on it.</summary>
    nn.Module Module { get; }

    /// <summary>Throws <see cref="ServingRequestException"/> naming the field when a request cannot be run; called before queueing.</summary>
    void Validate(TRequest request);

    /// <summary>Requests with equal keys may share one forward (a decoder batches prompts with the same decoding options only).</summary>
    string BatchKey(TRequest request);

    /// <summary>Runs the requests as one batch, row i with the adapter the caller's scope gives row i; one result per request, in order.</summary>
    /// <param name="requests">The batch's requests.</param>
    /// <param name="cancellation">Cancelled once every caller of the batch has gone: a long run (generation) may stop then.</param>
    IReadOnlyList<TResult> Run(IReadOnlyList<TRequest> requests, CancellationToken cancellation = default);
}
