using OrleansRay.Execution;

namespace OrleansRay.Actors;

/// <summary>Running one call on the current worker thread: its method and arguments resolved, the instance and the
/// call's cancellation taken under the lock (unless the instance ended meanwhile), its result handed to its owner.</summary>
internal sealed partial class ActorMailbox
{
    private ValueTask ExecuteAsync(ActorCall call, int generation)
    {
        CompiledFunction method;
        try
        {
            method = FunctionRegistry.Resolve(call.Method);
        }
        catch (Exception ex)
        {
            _replies.Deliver(call, null, RayError.Create(RayErrorKind.FunctionUnavailable, ex.Message, call.Method.DisplayName));
            return default;
        }

        var args = new object?[call.Args.Length + 1];
        var argError = _runtime.ResolveArguments(call.Args, args, 1, method.DisplayName);
        if (argError is not null)
        {
            _replies.Deliver(call, null, argError);
            return default;
        }

        CancellationToken token;
        ActorCaller caller;
        RayError? ended = null;
        lock (_gate)
        {
            if (generation != _generation)
            {
                // Taken from the queue just as its instance ended.
                ended = _deathCause ?? RayError.Create(RayErrorKind.ActorDied, $"Actor {_spec?.ClassName} ({_spec?.ActorId}) restarted before {method.DisplayName} could run.", method.DisplayName, _spec?.ActorId ?? default);
                token = default;
                caller = _caller;
            }
            else
            {
                args[0] = _instance;
                token = _calls.Add(call);
                caller = _caller;
            }
        }

        if (ended is not null)
        {
            _replies.Deliver(call, null, ended);
            return default;
        }

        Interlocked.Increment(ref _callsRun);
        _runtime.RecordActorCall();
        var context = new TaskContext(_runtime.Host, method.DisplayName, token, slot: null) { Submitter = caller };
        return Invoker.InvokeAsync(method, args, context, (Mailbox: this, Call: call, Name: method.DisplayName), Completed);
    }

    private static readonly Action<(ActorMailbox Mailbox, ActorCall Call, string Name), object?, Exception?> Completed =
        static (state, value, ex) => state.Mailbox.Complete(state.Call, value, ex is null ? null : RayError.FromException(ex, state.Name));

    /// <summary>A call returned: its result goes to its owner, unless the call was given up meanwhile (the actor was
    /// killed or restarted, and that result was given then).</summary>
    private void Complete(ActorCall call, object? value, RayError? error)
    {
        bool tracked;
        lock (_gate)
        {
            tracked = _calls.Remove(call);
        }

        if (tracked)
        {
            _replies.Deliver(call, value, error);
        }
    }
}
