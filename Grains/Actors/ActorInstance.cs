using OrleansRay.Code;
using OrleansRay.Execution;

namespace OrleansRay.Actors;

/// <summary>Makes and disposes the user's actor object: the constructor runs on a worker thread with its arguments
/// resolved, and any failure becomes ActorDied carrying the cause (Ray: an actor whose creation failed is dead).</summary>
internal static class ActorInstance
{
    /// <summary>Runs the constructor; returns the instance, or the failure that kills the actor.</summary>
    /// <param name="runtime">The node the actor lives on.</param>
    /// <param name="spec">The creation.</param>
    /// <param name="constructor">The resolved constructor.</param>
    /// <param name="caller">The submitter of calls the constructor makes (the instance's).</param>
    /// <param name="restarted">The actor's earlier instance died: this one comes after a restart.</param>
    /// <param name="gpuIds">The GPU instances the actor holds for life (null: none).</param>
    public static async Task<(object? Instance, RayError? Failure)> ConstructAsync(ActorServices runtime, ActorCreationSpec spec, CompiledFunction constructor, ActorCaller caller, bool restarted, IReadOnlyList<int>? gpuIds)
    {
        object? instance = null;
        RayError? failure = null;
        await runtime.Pool.Run(async () =>
        {
            var args = new object?[spec.Args.Length];
            foreach (var arg in spec.Args)
            {
                if (arg.IsRef && runtime.Objects.TryGet(arg.RefId, out var entry))
                {
                    await ObjectWaiter.WaitOneAsync(entry, null, CancellationToken.None).ConfigureAwait(false);
                }
            }

            if (runtime.Reader.ResolveArguments(spec.Args, args, 0, spec.ClassName, constructor.Code) is { } argumentFailure)
            {
                failure = Died(spec, argumentFailure, $"Actor {spec.ClassName} ({spec.ActorId}) could not be created: {argumentFailure.Message}");
                return;
            }

            var previous = TaskContext.Current;
            caller.ActorClass = ShortName(spec.ClassName); // names what the instance prints (log_to_driver)
            caller.Actor = spec.ActorId; // tells a wait on a call to itself from other waits (ActorCallHandle.SelfWaitHint)
            caller.ActorName = string.IsNullOrEmpty(spec.Options.Name) ? null : spec.Options.Name; // RayContext.ActorName: null unnamed
            caller.WasRestarted = restarted; // RayContext.WasActorRestarted
            caller.Group = spec.Options.Placement.Group; // RayContext.PlacementGroup; its children's group when it captures them
            caller.Resources = spec.Options.Resources; // RayContext.AssignedResources
            caller.GpuIds = gpuIds; // RayContext.GpuIds
            var context = new TaskContext(runtime.Host, spec.ClassName, CancellationToken.None, slot: null) { ActorTaskId = new TaskId(spec.ActorId.Hi, spec.ActorId.Lo), Submitter = caller, IsJobCode = constructor.Code is not null, Job = JobScope.For(spec.Options.Detached ? default : spec.Owner, spec.Options.Namespace, spec.Options.EnvVars) };
            TaskContext.Current = context;
            var previousCode = CodeScope.Current;
            CodeScope.Current = constructor.Code; // the constructor is job code: what it passes in packs with its job's serializer
            try
            {
                instance = await constructor.InvokeAsync(args).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                var cause = RayError.FromException(ex, spec.ClassName + "..ctor");
                failure = Died(spec, cause, $"The constructor of actor {spec.ClassName} threw {cause.ExceptionType}: {cause.Message}");
            }
            finally
            {
                TaskContext.Current = previous;
                CodeScope.Current = previousCode;
                GC.KeepAlive(context); // the flow holds a job's context weakly (TaskContext.Current)
            }
        }).ConfigureAwait(false);
        return (instance, failure);
    }

    /// <summary>Disposes an instance that is gone (killed, restarted or dead), if it is disposable.</summary>
    public static void Dispose(object? instance)
    {
        switch (instance)
        {
            case IAsyncDisposable asyncDisposable:
                _ = asyncDisposable.DisposeAsync().AsTask().ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
                break;
            case IDisposable disposable:
                try
                {
                    disposable.Dispose();
                }
                catch (Exception)
                {
                    // A failing Dispose of a dead actor instance has nobody left to tell; the actor is gone either way.
                }

                break;
        }
    }

    /// <summary>A class's name without its namespace, enclosing types or generic arguments ("Ns.Outer+Counter`1[[...]]"
    /// is "Counter").</summary>
    internal static string ShortName(string className)
    {
        var name = className.AsSpan();
        if (name.IndexOf('`') is var generic and >= 0)
        {
            name = name[..generic];
        }

        return name[(name.LastIndexOfAny('.', '+') + 1)..].ToString();
    }

    private static RayError Died(ActorCreationSpec spec, RayError cause, string message) => new()
    {
        Kind = RayErrorKind.ActorDied,
        FunctionName = cause.FunctionName,
        ExceptionType = cause.ExceptionType,
        ExceptionTypes = cause.ExceptionTypes,
        Message = message,
        RemoteStackTrace = cause.RemoteStackTrace,
        ActorId = spec.ActorId,
        Original = cause.Original,
    };
}
