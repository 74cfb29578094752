using OrleansRay.Grains;
using OrleansRay.Internal;

namespace OrleansRay;

/// <summary>Creation, lookup and kill of actors behind grain interfaces (the IRay side). The actor's lifecycle is its
/// host grain's, as for class actors; its calls go straight to its grain (see <see cref="ActorGrain"/>).</summary>
internal static class ActorGrains
{
    public static async Task<TActor> CreateAsync<TActor>(RayInstance ray, ActorOptions? options, CancellationToken cancellationToken) where TActor : IActor
    {
        var runtime = ray.Runtime;
        runtime.ThrowIfDisposed();
        var contract = typeof(TActor);
        if (!contract.IsInterface || contract == typeof(IActor))
        {
            throw new ArgumentException($"{contract.Name} is not an actor contract: give the interface that derives from IActor (CreateActorAsync<ICounter>), not a class or IActor itself.", nameof(TActor));
        }

        options ??= new ActorOptions();
        options.Validate();
        var actorId = ActorId.NewId();
        TActor proxy;
        try
        {
            proxy = runtime.GrainFactory.GetGrain<TActor>(actorId.ToGuid());
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException(
                $"No single actor grain implements {contract.FullName} on the cluster ({ex.Message}). Derive one class from ActorGrain that implements it, " +
                "and have it on every node: in this process for an embedded cluster, or loaded at start (orleansray start --load App.dll).", nameof(TActor), ex);
        }

        var className = contract.FullName ?? contract.Name;
        var data = options.ToData(ray.Namespace);
        if (!string.IsNullOrEmpty(data.Name))
        {
            var info = new ActorInfo(actorId, data.Name, data.Namespace, className, ActorState.Pending, string.Empty, 0, data.Detached);
            var holder = await runtime.GrainFactory.GetGrain<IActorDirectoryGrain>(data.Namespace).RegisterAsync(info).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (holder != actorId)
            {
                throw new ArgumentException($"The actor name '{data.Name}' is already taken in namespace '{data.Namespace}' by a live actor. Use GetActorProxyAsync to reach it, or choose another name.", nameof(options));
            }
        }

        var created = runtime.Actors.Create(new ActorCreationSpec
        {
            ActorId = actorId,
            Constructor = null!,
            Options = data,
            Owner = runtime.WorkerId,
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
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var runtime = ray.Runtime;
        var ns = @namespace ?? ray.Namespace;
        var info = await runtime.GrainFactory.GetGrain<IActorDirectoryGrain>(ns).LookupAsync(name).ConfigureAwait(false);
        if (info is not null)
        {
            var live = await runtime.GrainFactory.GetGrain<IActorHostGrain>(info.ActorId.ToGuid()).GetInfoAsync().ConfigureAwait(false);
            if (live is { State: ActorState.Dead })
            {
                info = null;
            }
        }

        if (info is null)
        {
            throw new ActorNotFoundException($"No live actor is named '{name}' in namespace '{ns}'. Create it with ray.CreateActorAsync<{typeof(TActor).Name}>(new ActorOptions {{ Name = \"{name}\" }}), or check the namespace.");
        }

        var expected = typeof(TActor).FullName ?? typeof(TActor).Name;
        if (!string.Equals(info.ClassName, expected, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Actor '{name}' is a {info.ClassName}, not a {expected}; ask for that type (a class actor with GetActorAsync<{info.ClassName}>).", nameof(name));
        }

        return runtime.GrainFactory.GetGrain<TActor>(info.ActorId.ToGuid());
    }

    public static Task KillAsync(RayInstance ray, IActor actor, bool noRestart)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.GetGrainId().TryGetGuidKey(out var key, out _))
        {
            throw new ArgumentException("This is not a proxy of an OrleansRay actor (its grain has no Guid key).", nameof(actor));
        }

        return ray.Runtime.Actors.KillAsync(ActorId.FromGuid(key), noRestart, noRestart ? "killed by ray.KillAsync" : "killed by ray.KillAsync(noRestart: false)");
    }
}
