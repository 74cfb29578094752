using OrleansRay.Train.Collective;

namespace OrleansRay.Train;

/// <summary>How one rank reaches another: an actor call to the peer worker's inbox method, in the peer's
/// "collective" concurrency group so it runs while the peer's loop is busy.</summary>
internal sealed class WorkerTransport : ICollectiveTransport
{
    private readonly IRay _ray;
    private readonly ActorHandle<TrainContext>[] _workers;

    public WorkerTransport(IRay ray, ActorHandle<TrainContext>[] workers)
    {
        _ray = ray;
        _workers = workers;
    }

    public async Task SendAsync(int toRank, CollectiveMessage message, CancellationToken cancellationToken)
    {
        var delivered = _workers[toRank].Task((w, m) => w.Deliver(m), message)
            .Options(new ActorCallOptions { ConcurrencyGroup = TrainContext.CollectiveGroup })
            .Remote();
        try
        {
            await _ray.GetAsync(delivered, cancellationToken).ConfigureAwait(false);
        }
        catch (ActorDiedException ex)
        {
            // The PEER died, not this rank: the driver must not take this rank's failure for the root cause (it blames
            // the rank whose own actor died, found by that rank's own call failing).
            throw new CollectiveAbortedException($"rank {toRank} is unreachable (its worker died): {ex.Message}");
        }
    }
}
