using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;
using Orleans.Runtime;
using OrleansRay.Actors;
using OrleansRay.Grains;
using OrleansRay.Internal;
using OrleansRay.Node;
using OrleansRay.Placement;

namespace OrleansRay;

/// <summary>The base class of an actor behind a grain interface (<see cref="IActor"/>): an Orleans grain, called
/// directly through its Orleans proxy, with Ray's actor semantics around it.</summary>
/// <remarks>
/// <para>Write it as any grain: implement your <see cref="IActor"/>-derived interface, keep state in fields, take
/// services in the constructor, override <see cref="Grain.OnActivateAsync"/> for start-up work. Create it with
/// <see cref="IRay.CreateActorAsync{TActor}"/>; a proxy of an id that was never created fails every call with
/// <see cref="ActorDiedException"/>.</para>
/// <para>What OrleansRay adds (Ray's actor model):</para>
/// <list type="bullet">
/// <item>Placement by resources: the activation lives on the node that holds the actor's <see cref="ActorOptions"/>
/// resources (its placement group bundle, scheduling strategy), and waits for them before it activates. An actor that
/// asks for more than its node has in all never starts (it shows as an infeasible demand): its calls fail at once with
/// <see cref="InvalidOperationException"/> saying so.</item>
/// <item>Order: one caller's calls start in the order they were made, even when many are in flight unawaited; at most
/// <see cref="ActorOptions.MaxConcurrency"/> run at once (default 1: one at a time, each seeing the state the earlier
/// ones left; above 1 they interleave at awaits, as Ray's async actors do). The grain is reentrant for Orleans;
/// OrleansRay does the admitting.</item>
/// <item>Lifetime: the activation is kept while the actor lives (never collected for idleness); a kill ends it (later
/// calls throw <see cref="ActorDiedException"/>); a kill with restart, or its node's death, starts a fresh instance
/// (state reset) while <see cref="ActorOptions.MaxRestarts"/> allows; a non-detached actor dies with its job.</item>
/// </list>
/// <para>All of this applies to calls through <see cref="IActor"/>-derived interfaces. A grain interface the class also
/// implements that does not derive from <see cref="IActor"/> is served as plain Orleans calls: not ordered, not counted
/// against MaxConcurrency, not refused after the actor died. Put every method callers use on the actor contract.</para>
/// <para>Exceptions thrown by your methods reach the caller as Orleans delivers them (the original type when it is
/// serializable). Calls already running when the actor is killed or restarted finish; calls still waiting fail with
/// <see cref="ActorDiedException"/>.</para>
/// </remarks>
[Reentrant]
[ActorGrainPlacement]
public abstract class ActorGrain : Grain, IActor, IActorCallAdmission, IGrainBase
{
    private ActorCallGate? _gate;
    private GrainActorLifecycle? _lifecycle;
    private int _generation;
    private Exception? _refused;
    private NodeRuntime? _node;

    private ActorMailbox? _mailbox;
    private CancellationTokenRegistration _generationWatch;

    /// <summary>Orleans activates the grain through this: attach to the actor's host, then run the grain's own
    /// <see cref="Grain.OnActivateAsync"/>. If that throws, the actor dies as a Ray actor whose constructor threw: every
    /// call fails with <see cref="ActorDiedException"/> carrying the cause.</summary>
    async Task IGrainBase.OnActivateAsync(CancellationToken cancellationToken)
    {
        await AttachAsync(cancellationToken).ConfigureAwait(true);
        if (_refused is not null)
        {
            return;
        }

        try
        {
            await OnActivateAsync(cancellationToken).ConfigureAwait(true);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            _mailbox?.StartFailed(ex);
            Refuse(new ActorDiedException($"Actor {GetType().Name} ({ActorId}) could not be created: its OnActivateAsync threw {ex.GetType().Name}: {ex.Message}"));
        }
    }

    /// <inheritdoc />
    Task IGrainBase.OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // This activation no longer follows its generation (else a long-lived actor would keep every old instance).
        _generationWatch.Dispose();
        return OnDeactivateAsync(reason, cancellationToken);
    }

    /// <summary>The OrleansRay instance of the node this actor runs on: submit tasks, create actors, put and get
    /// objects from actor methods. (<see cref="OrleansRay.Ray.Current"/> and <see cref="RayContext"/> describe tasks and
    /// class-actor methods; in a grain, use this.)</summary>
    /// <exception cref="InvalidOperationException">The grain is not hosted by an OrleansRay node.</exception>
    protected IRay Ray => NodeRay.For(_node ?? throw new InvalidOperationException("This actor grain is not hosted by an OrleansRay node (UseOrleansRay)."));

    /// <summary>The GPUs this actor holds for life (Ray's <c>ray.get_gpu_ids()</c>; what <see cref="RayContext.GpuIds"/>
    /// gives a class actor): device ordinals of its node, ascending; empty when its <see cref="ActorOptions.NumGpus"/> is 0,
    /// before its resources are granted, and in a grain not hosted by an OrleansRay node.</summary>
    protected IReadOnlyList<int> GpuIds => _mailbox?.Resources.Gpus?.Ids ?? [];

    /// <summary>The actor's id (Ray's actor id): the grain's Guid key.</summary>
    protected ActorId ActorId => ActorId.FromGuid(this.GetPrimaryKey());

    /// <inheritdoc />
    ValueTask IActorCallAdmission.EnterCallAsync(ActorCallStamp? stamp)
    {
        if (_refused is not null)
        {
            return ValueTask.FromException(_refused);
        }

        var gate = _gate!;
        var entered = gate.EnterAsync(stamp);
        return entered.IsCompletedSuccessfully ? Admit(gate) : AdmitAfterEnterAsync(entered, gate);
    }

    /// <inheritdoc />
    void IActorCallAdmission.ExitCall() => _gate!.Exit();

    private async ValueTask AdmitAfterEnterAsync(ValueTask entered, ActorCallGate gate)
    {
        await entered.ConfigureAwait(true);
        await Admit(gate).ConfigureAwait(true);
    }

    /// <summary>Lets a call that holds its slot run, unless the actor ended meanwhile (then the slot is given back).</summary>
    private ValueTask Admit(ActorCallGate gate)
    {
        if (_lifecycle is { } lifecycle)
        {
            if (Ended(lifecycle) is { } ended)
            {
                gate.Exit();
                return ValueTask.FromException(ended);
            }

            lifecycle.CallRun();
        }

        return default;
    }

    private Exception? Ended(GrainActorLifecycle lifecycle)
    {
        var (generation, death) = lifecycle.State;
        if (death is not null)
        {
            return ErrorMapper.ToException(death);
        }

        return generation != _generation
            ? new ActorDiedException($"Actor {GetType().Name} ({ActorId}) restarted before this call ran; call it again to reach the new instance.")
            : null;
    }

    /// <summary>Finds the actor's host on this node, waits for the actor's resources, and ties this activation to the
    /// actor's generation: a restart or death deactivates it.</summary>
    private async Task AttachAsync(CancellationToken cancellationToken)
    {
        _node = ServiceProvider.GetService<NodeRuntime>();
        var actors = ServiceProvider.GetService<ActorServices>();
        var id = ActorId;
        if (actors is null)
        {
            Refuse(new InvalidOperationException($"Actor grain {GetType().Name} ({id}) is hosted by a silo without OrleansRay: call UseOrleansRay on the silo builder."));
            return;
        }

        var mailbox = actors.HostedActors.Find(id);
        if (mailbox is null)
        {
            // Not hosted here yet: the host rebuilds the actor if its node died (the placement director asked it first).
            var location = await GrainFactory.GetGrain<IActorHostGrain>(id.ToGuid()).LocateAsync().ConfigureAwait(true);
            mailbox = actors.HostedActors.Find(id);
            if (mailbox is null && !location.Dead && !string.Equals(location.Node, actors.NodeId.Value, StringComparison.Ordinal))
            {
                Refuse(new InvalidOperationException(
                    $"Actor {GetType().Name} ({id}) lives on node {location.Node}, but Orleans activated its grain on {actors.NodeId}: " +
                    "that node does not host the grain class. Give every node the same --load (the assembly with the actor's class)."));
                return;
            }
        }

        if (mailbox?.Grain is not { } lifecycle)
        {
            Refuse(new ActorDiedException(mailbox is null
                ? $"No actor {GetType().Name} with id {id} lives on this node: create actors behind grain interfaces with ray.CreateActorAsync<TActor>(), not GrainFactory.GetGrain with a new key."
                : $"Actor {id} is a class actor, not an actor behind a grain interface."));
            return;
        }

        if (mailbox.WhyItCannotStart() is { } infeasible)
        {
            // A class actor's calls would wait for it; a grain call cannot wait past Orleans' response timeout, and no
            // wait helps: its calls fail now, saying why. The activation goes once the actor starts or ends (a kill),
            // so the call after that finds what it became.
            Refuse(new InvalidOperationException(infeasible));
            var refused = GrainContext;
            void End() => refused.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "the actor it refused calls for started or ended"));
            _ = lifecycle.Settled.ContinueWith(_ => End(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            _generationWatch = lifecycle.Current.End.Register(End);
            return;
        }

        await lifecycle.Settled.WaitAsync(cancellationToken).ConfigureAwait(true);
        var (generation, death, end) = lifecycle.Current;
        if (death is not null)
        {
            Refuse(ErrorMapper.ToException(death));
            return;
        }

        // The actor's state lives in this activation: Orleans must not collect it for idleness while the actor lives.
        DelayDeactivation(TimeSpan.MaxValue);
        _lifecycle = lifecycle;
        _mailbox = mailbox;
        _generation = generation;
        var gate = new ActorCallGate(mailbox.MaxConcurrency);
        _gate = gate;
        var context = GrainContext;
        _generationWatch = end.Register(() =>
        {
            gate.Close(Ended(lifecycle) ?? new ActorDiedException($"Actor {id} ended."));
            context.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "the actor was killed or restarted"));
        });
    }

    /// <summary>This activation serves no calls: each fails with <paramref name="reason"/>; Orleans collects it once idle.</summary>
    private void Refuse(Exception reason)
    {
        _refused = reason;
        _gate = new ActorCallGate(1);
    }
}
