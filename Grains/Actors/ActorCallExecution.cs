using OrleansRay.Execution;

namespace OrleansRay.Actors;

/// <summary>Runs one actor call on the current worker thread: resolves its method and arguments, asks the mailbox to
/// admit it (the instance, with the call's context tracked for a cancel, under the mailbox's lock, unless the instance
/// ended meanwhile), invokes it through the <see cref="Invoker"/>, and hands the outcome back to the mailbox.</summary>
internal static class ActorCallExecution
{
    /// <summary>A call's outcome to its mailbox: an exception as an error, and a result its owner could not copy out as
    /// the serialization error naming the method (<see cref="Ownership.ValueCopier.CheckResult"/>).</summary>
    private static readonly Action<(ActorMailbox Mailbox, ActorCall Call, string Name), object?, Exception?> Completed =
        static (state, value, ex) =>
        {
            var error = ex is null ? state.Mailbox.Replies.Copier.CheckResult(value, state.Name) : RayError.FromException(ex, state.Name);
            state.Mailbox.Complete(state.Call, error is null ? value : null, error);
        };

    /// <summary>Runs <paramref name="call"/> against the instance of <paramref name="generation"/>; synchronous methods
    /// complete before this returns.</summary>
    public static ValueTask ExecuteAsync(ActorMailbox mailbox, ActorServices services, ActorCall call, int generation) =>
        ExecuteAsync(mailbox, services, call, generation, out _);

    /// <summary>As <see cref="ExecuteAsync(ActorMailbox, ActorServices, ActorCall, int)"/>; <paramref name="runTicks"/> is
    /// how long the method itself ran (Stopwatch ticks; 0 when it did not run, <see cref="long.MaxValue"/> when it
    /// awaited): not the resolving of its arguments nor the sending of its result, which do not block the thread.</summary>
    public static ValueTask ExecuteAsync(ActorMailbox mailbox, ActorServices services, ActorCall call, int generation, out long runTicks)
    {
        runTicks = 0;
        CompiledFunction method;
        try
        {
            method = FunctionRegistry.Resolve(call.Method, services.Code);
        }
        catch (Exception ex)
        {
            mailbox.Reject(call, RayError.Create(RayErrorKind.FunctionUnavailable, ex.Message, call.Method.DisplayName));
            return default;
        }

        var args = ArgumentArrays.Rent(call.Args.Length + 1);
        var argError = services.Reader.ResolveArguments(call.Args, args, 1, method.DisplayName, method.Code);
        if (argError is not null)
        {
            ArgumentArrays.Return(args);
            mailbox.Reject(call, argError);
            return default;
        }

        var context = new TaskContext(services.Host, method.DisplayName, TaskContext.OnDemand, slot: null) { ActorTaskId = new TaskId(call.ReturnId.Hi, call.ReturnId.Lo), ActorAttempt = call.Attempt, IsJobCode = method.Code is not null, NumReturns = 1 + (call.OtherReturnIds?.Length ?? 0), Generator = mailbox.Replies.GeneratorSink(call, method.DisplayName), Job = JobScope.For(mailbox.Ownership is { Detached: false } owned ? owned.Owner : default, mailbox.OptionsLocked?.Namespace, mailbox.OptionsLocked?.EnvVars) };
        if (!mailbox.TryAdmit(call, generation, method.DisplayName, context, out var instance))
        {
            ArgumentArrays.Return(args);
            return default;
        }

        if (method.Code is not null && instance is not null && method.ParameterTypes is [var actorType, ..] && !actorType.IsInstanceOfType(instance))
        {
            ArgumentArrays.Return(args);
            mailbox.Complete(call, null, OtherBuild(method, instance));
            return default;
        }

        args[0] = instance;
        services.RecordActorCall();
        var run = Invoker.InvokeAsync(method, args, context, (Mailbox: mailbox, Call: call, Name: method.DisplayName), Completed, out runTicks);
        ArgumentArrays.Return(args); // read before the method started
        return run;
    }

    /// <summary>The error of a call whose method is of another job's code than the actor's instance (a detached actor
    /// found by name from another build: each build's types are its own, even under the same names).</summary>
    private static RayError OtherBuild(CompiledFunction method, object instance) => RayError.Create(
        RayErrorKind.FunctionUnavailable,
        $"{method.DisplayName} comes from job code {Code.CodePackage.Short(method.Descriptor.Code ?? string.Empty)}, but the actor's instance, a {instance.GetType().FullName}, was built from " +
        "another job's code: a call to an actor runs in the code of the job that created the actor, and another build of the application, or the same build with " +
        "other RuntimeEnv environment variables (each is other job code), cannot call its methods. Call it from the same build, or make it a grain-interface actor " +
        "(ray.CreateActorAsync<IMyActor>), whose interface both builds share.",
        method.DisplayName);
}
