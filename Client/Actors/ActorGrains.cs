using OrleansRay.Grains;
using OrleansRay.Internal;

namespace OrleansRay;

/// <summary>Creation, lookup and kill of actors behind grain interfaces (the IRay side). The actor's lifecycle is its
/// host grain's, as for class actors; its calls go straight to its grain (see <see cref="ActorGrain"/>).</summary>
internal static class ActorGrains
{
    public static async Task<TActor> CreateAsync<TActor>(RayInstance ray, ActorOptions? options, CancellationToken cancellationToken) where TActor : IActor
    {
        ray.ThrowIfDisposed();
        var runtime = ray.Runtime;
        var job = runtime.SubmittingJob; // read before any await: the creator's job (see ActorCreation.Remote)
        var contract = typeof(TActor);
        if (!contract.IsInterface || contract == typeof(IActor))
        {
            throw new ArgumentException($"{contract.Name} is not an actor contract: give the interface that derives from IActor (CreateActorAsync<ICounter>), not a class or IActor itself.", nameof(TActor));
        }

        options ??= new ActorOptions();
        options.Validate();
        if (options.ConcurrencyGroups.Count > 0)
        {
            throw new ArgumentException(
                "ActorOptions.ConcurrencyGroups is not supported for an actor behind a grain interface: its calls are Orleans grain calls, bounded by MaxConcurrency. " +
                "Use a class actor (ray.Actor(() => new ...)) for concurrency groups.", nameof(options));
        }

        if (options.PlacementGroupCaptureChildTasks)
        {
            throw new ArgumentException(
                "ActorOptions.PlacementGroupCaptureChildTasks is not supported for an actor behind a grain interface: its methods run as Orleans grain calls, " +
                "outside any task, so the work they submit cannot know the group. Give that work TaskOptions.PlacementGroup itself, or use a class actor " +
                "(ray.Actor(() => new ...)).", nameof(options));
        }

        if (options.EnvVars.Count > 0)
        {
            throw new ArgumentException(
                "ActorOptions.EnvVars is not supported for an actor behind a grain interface: its methods run as Orleans grain calls, outside any task, " +
                "so RayContext cannot tell them apart from other grains' calls. Read the job's variables (RayOptions.RuntimeEnv.EnvVars), or use a class " +
                "actor (ray.Actor(() => new ...)) for variables of its own.", nameof(options));
        }

        var actorId = ActorId.NewId();
        TActor proxy;
        try
        {
            proxy = runtime.GrainFactory.GetGrain<TActor>(actorId.ToGuid());
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException(
                $"{ex.Message} An actor behind a grain interface needs exactly one class deriving from ActorGrain that implements {contract.Name}, " +
                "in a project that references Microsoft.Orleans.Sdk (Orleans generates the proxy there).", nameof(TActor), ex);
        }

        if (runtime.GrainFactory is Hosting.ApplicationGrainFactory application && application.NotAnActorGrain(proxy.GetGrainId().Type) is { } plainGrain)
        {
            // A plain grain would answer as a grain does, unplaced, ungated and alive after KillAsync.
            throw new ArgumentException(
                $"{contract.Name} is implemented by grain class {plainGrain}, which does not derive from ActorGrain (or overrides its placement): an actor " +
                $"behind a grain interface is a class deriving from OrleansRay.ActorGrain, placed as ActorGrain places it (public sealed class MyActor : ActorGrain, {contract.Name}).", nameof(TActor));
        }

        var className = contract.FullName ?? contract.Name;
        var data = options.ToData(ray.Namespace);
        if (!string.IsNullOrEmpty(data.Name))
        {
            var info = new ActorInfo(actorId, data.Name, data.Namespace, className, ActorState.Pending, string.Empty, 0, data.Detached);
            var directory = runtime.GrainFactory.GetGrain<IActorDirectoryGrain>(data.Namespace);
            var holder = await ClusterCalls.RunAsync(runtime, directory.RegisterAsync(info).WaitAsync(cancellationToken)).ConfigureAwait(false);
            if (holder.ActorId != actorId)
            {
                if (options.GetIfExists)
                {
                    NamedActorClaims.CheckClass(holder, contract);
                    return runtime.GrainFactory.GetGrain<TActor>(holder.ActorId.ToGuid());
                }

                throw NamedActorClaims.Taken(data.Name, data.Namespace, "GetActorProxyAsync");
            }
        }

        var created = runtime.Actors.Create(new ActorCreationSpec
        {
            ActorId = actorId,
            Constructor = null!,
            Options = data,
            Owner = job,
            ClassName = className,
            GrainType = proxy.GetGrainId().Type.ToString(),
        });
        ((IRayRuntimeAccess)ray).TrackActor(actorId, data.Detached);
        // The first call places the grain where the host is: the host must have the creation by then.
        await created.WaitAsync(cancellationToken).ConfigureAwait(false);
        return proxy;
    }

    public static async Task<TActor> GetAsync<TActor>(RayInstance ray, string name, string? @namespace) where TActor : IActor
    {
        var info = await ray.FindNamedActorAsync(name, @namespace, typeof(TActor), static options => $"ray.CreateActorAsync<{typeof(TActor).Name}>({options})").ConfigureAwait(false);
        return ray.Runtime.GrainFactory.GetGrain<TActor>(info.ActorId.ToGuid());
    }

    public static async Task KillAsync(RayInstance ray, IActor actor, bool noRestart)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.GetGrainId().TryGetGuidKey(out var key, out _))
        {
            throw new ArgumentException("This is not a proxy of an OrleansRay actor (its grain has no Guid key).", nameof(actor));
        }

        // CreateActorAsync returns once the table has the actor, so a proxy of an actor of this cluster has a row; one
        // made with GrainFactory.GetGrain<T>(id) for an id never created here has none (Ray: ray.kill of a non-actor
        // raises). A kill without it would record a dead actor the cluster never had.
        var actorId = ActorId.FromGuid(key);
        var rows = await ClusterCalls.RunAsync(ray.Runtime, ray.Runtime.ActorServices.ActorTable.RowsAsync([actorId])).ConfigureAwait(false);
        if (rows.Length == 0)
        {
            throw new ArgumentException(
                $"No actor with id {actorId} is known to this cluster: it was never created here (a proxy from GrainFactory.GetGrain<{ContractName(actor)}>(id)?) " +
                "or died long ago. Kill actors through the proxies ray.CreateActorAsync<T> and ray.GetActorProxyAsync<T> return.", nameof(actor));
        }

        await ray.Runtime.Actors.KillAsync(actorId, noRestart, noRestart ? "killed by ray.KillAsync" : "killed by ray.KillAsync(noRestart: false)").ConfigureAwait(false);
    }

    /// <summary>The actor contract a proxy implements (its generated class's name means nothing to its caller).</summary>
    private static string ContractName(IActor proxy) =>
        proxy.GetType().GetInterfaces().FirstOrDefault(i => i != typeof(IActor) && typeof(IActor).IsAssignableFrom(i))?.Name ?? "T";
}
