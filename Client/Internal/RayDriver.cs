using OrleansRay.Hosting;
using OrleansRay.Runtime;

namespace OrleansRay;

/// <summary>The driver's IRay: disposing it ends the job (kills its non-detached actors) and stops the embedded node.</summary>
internal sealed class RayDriver : RayInstance
{
    private readonly IAsyncDisposable? _cluster;
    private readonly List<ActorId> _actors = new();
    private int _disposed;

    public RayDriver(NodeRuntime runtime, string @namespace, IAsyncDisposable? cluster) : base(runtime, @namespace)
    {
        _cluster = cluster;
    }

    public override void TrackActor(ActorId actorId, bool detached)
    {
        if (!detached)
        {
            lock (_actors)
            {
                _actors.Add(actorId);
            }
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Ray.Unregister(this);
        ActorId[] actors;
        lock (_actors)
        {
            actors = _actors.ToArray();
        }

        try
        {
            await Task.WhenAll(actors.Select(a => Runtime.Actors.KillAsync(a, noRestart: true, "its driver (job) ended"))).ConfigureAwait(false);
        }
        catch (Exception) when (_cluster is not null)
        {
            // The embedded node stops next and takes every actor with it; a kill that failed changes nothing.
        }

        if (_cluster is not null)
        {
            NodeRay.Forget(Runtime);
            await _cluster.DisposeAsync().ConfigureAwait(false);
        }
    }
}
