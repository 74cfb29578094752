using OrleansRay.Execution;

namespace OrleansRay.Actors;

/// <summary>The calls an actor instance is running, each with the context whose cancellation its code sees as
/// RayContext.CancellationToken.</summary>
/// <remarks>Not thread-safe: the mailbox's lock guards it. Calls are cancelled by the caller of <see cref="Find"/> or
/// <see cref="TakeAll"/> outside that lock, since cancelling runs the user's callbacks. A call's cancellation is made
/// only when its code asks for the token or it is cancelled (<see cref="TaskContext.OnDemand"/>), so most calls make
/// none.</remarks>
internal sealed class RunningActorCalls
{
    private readonly Dictionary<(WorkerId Caller, long Sequence), Running> _calls = new();

    public int Count => _calls.Count;

    /// <summary>Cancels a running call (null: nothing to cancel); a callback of the actor's code that throws is logged,
    /// the cancel itself happened.</summary>
    public static void Cancel(TaskContext? running, Microsoft.Extensions.Logging.ILogger logger, string? className)
    {
        try
        {
            running?.Cancel();
        }
        catch (AggregateException ex)
        {
            ActorLog.CancelCallbackFailed(logger, className ?? "?", ex);
        }
    }

    /// <summary>Starts tracking a call that runs with <paramref name="context"/> (made with
    /// <see cref="TaskContext.OnDemand"/>).</summary>
    public void Add(ActorCall call, TaskContext context) => _calls[(call.Caller, call.Sequence)] = new Running(call, context);

    /// <summary>A call returned: its result goes to its owner, unless the call was given up meanwhile (the actor was
    /// killed or restarted, and that result was given then). <paramref name="gate"/> is the mailbox's lock.</summary>
    public void Complete(object gate, ActorCall call, object? value, RayError? error, ActorReplies replies)
    {
        bool tracked;
        lock (gate)
        {
            tracked = Remove(call);
        }

        if (tracked)
        {
            replies.Deliver(call, value, error);
        }
    }

    /// <summary>Stops tracking a call that returned; false when it was taken away already (its result was given).</summary>
    public bool Remove(ActorCall call)
    {
        var key = (call.Caller, call.Sequence);
        return _calls.TryGetValue(key, out var running) && ReferenceEquals(running.Call, call) && _calls.Remove(key);
    }

    /// <summary>The context of a running call, if it runs.</summary>
    public TaskContext? Find(WorkerId caller, long sequence) =>
        _calls.TryGetValue((caller, sequence), out var running) ? running.Context : null;

    /// <summary>Takes every running call (the instance is going away): their results are given now.</summary>
    public List<Running> TakeAll()
    {
        var all = _calls.Values.ToList();
        _calls.Clear();
        return all;
    }

    /// <summary>Gives up calls taken from the table (<see cref="TakeAll"/>): cancels their tokens and gives their owners
    /// <paramref name="error"/>'s error for each.</summary>
    public static void GiveUp(List<Running> abandoned, ActorReplies replies, Microsoft.Extensions.Logging.ILogger logger, string? className, Func<ActorCall, RayError> error)
    {
        foreach (var (call, context) in abandoned)
        {
            Cancel(context, logger, className);
            replies.Deliver(call, null, error(call));
        }
    }

    /// <summary>A running call and the context it runs with.</summary>
    internal readonly record struct Running(ActorCall Call, TaskContext Context);
}
