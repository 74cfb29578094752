using OrleansRay.Code;
using System.Collections.Concurrent;
using OrleansRay.Execution;
using OrleansRay.Grains;
using OrleansRay.Ownership;
using OrleansRay.Placement;
using OrleansRay.Scheduling;
using OrleansRay.Transport;

namespace OrleansRay.Node;

/// <summary>Work that crosses this node's endpoint: tasks other owners sent here to run (their results go back to those
/// owners), results of tasks this node owns coming back from the nodes that ran them, and borrowers' reads of objects
/// this node owns.</summary>
internal sealed class ForeignTasks : IForeignTaskResults
{
    /// <summary>How long an owner holds a borrower's read open before answering "pending" (below Orleans' 30 s call
    /// timeout; the borrower asks again).</summary>
    private static readonly TimeSpan BorrowWait = TimeSpan.FromSeconds(15);

    /// <summary>How long a cancel that found no task is remembered (it may have overtaken its task on the way).</summary>
    private const long EarlyCancelMemoryMs = 60_000;

    /// <summary>Remembered cancels above this many are pruned of those older than <see cref="EarlyCancelMemoryMs"/>.</summary>
    private const int EarlyCancelPruneAt = 1024;

    private readonly ConcurrentDictionary<TaskId, TaskSpec> _running = new();
    private readonly ConcurrentDictionary<TaskId, (bool Force, bool Recursive, long At)> _earlyCancels = new();
    private long _earlyCancelsPruned;
    private readonly NodeRuntime _runtime;
    private long _received;
    private int _borrowerWaits;

    public ForeignTasks(NodeRuntime runtime)
    {
        _runtime = runtime;
    }

    /// <summary>The tasks other owners sent here that run (or wait to run) now, for the state API.</summary>
    public IEnumerable<TaskSpec> RunningTasks => _running.Values;

    /// <summary>True while tasks other owners sent here run or wait to run.</summary>
    public bool HasTasks => !_running.IsEmpty;

    /// <summary>Borrowers' reads of objects this runtime owns that wait for their object now.</summary>
    public int BorrowerWaits => Volatile.Read(ref _borrowerWaits);

    /// <summary>Tasks other owners sent to this node so far.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Runs tasks another owner sent here; their results go back to <paramref name="replyTo"/>, except that the
    /// result of a lone task (a batch of one, not a generator) that finishes within <see cref="OwnerReplies.LoneReplyWait"/> is
    /// returned instead, for the reply to carry (Ray's PushTask reply).</summary>
    public async Task<RemoteResult[]?> RunAsync(INodeEndpoint replyTo, RemoteTask[] tasks)
    {
        if (tasks.Length != 1 || tasks[0].Streaming)
        {
            Run(replyTo, tasks);
            return null;
        }

        return await _runtime.Replies.CarryResultAsync(tasks[0].ReturnId, () => Run(replyTo, tasks)).ConfigureAwait(false) is { } result
            ? [result]
            : null;
    }

    /// <summary>Runs tasks another owner sent here; their results go back to <paramref name="replyTo"/>.</summary>
    public void Run(INodeEndpoint replyTo, RemoteTask[] tasks)
    {
        if (_runtime.Code is { } code && MissingCode(code, tasks) is { } missing)
        {
            // A job's code this node has not loaded yet: fetch and load it first (once, shared), then run the batch.
            _ = RunWhenLoadedAsync(code, missing, replyTo, tasks);
            return;
        }

        var node = _runtime.Node;
        foreach (var task in tasks)
        {
            var result = new ObjectEntry(task.ReturnId);
            CompiledFunction function;
            try
            {
                node.ThrowIfDisposed();
                function = FunctionRegistry.Resolve(task.Function, _runtime.Code);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                var name = task.Name ?? task.Function.DisplayName;
                var error = ex is FunctionUnavailableException
                    ? RayError.Create(RayErrorKind.FunctionUnavailable, $"{ex.Message} (node {node.NodeId})", name)
                    : RayError.FromException(ex, name);
                _runtime.Replies.Reply(replyTo, new RemoteResult { ObjectId = task.ReturnId, TaskId = task.Id, Error = error, Node = node.Name });
                continue;
            }

            var spec = new TaskSpec(task.Id, function, task.Args, task.Resources, result, _runtime.Scheduler)
            {
                MaxRetries = task.MaxRetries,
                RetryExceptions = ExceptionRetry.Of(task.RetryExceptions, task.RetryExceptionTypes),
                Name = task.Name,
                Job = JobScope.For(task.JobDriver, task.Namespace, task.EnvVars),
                ReplyTo = replyTo,
                DriverOwned = task.DriverOwned,
                Group = task.Group,
                OtherReturns = task.OtherReturnIds is { } ids ? Array.ConvertAll(ids, static id => new ObjectEntry(id)) : null,
                Generator = task.Streaming ? new GeneratorItemSender(_runtime.Replies, _runtime.Node.Name, replyTo, task.Id, task.Name ?? function.DisplayName, task.GeneratorBackpressure, task.DriverOwned ? task.JobDriver : default) : null,
            };
            spec.Attempt = task.PreviousAttempts;
            if (!_running.TryAdd(task.Id, spec))
            {
                continue; // the same attempt sent twice (a retried send): it runs once
            }

            Interlocked.Increment(ref _received);
            _runtime.Scheduler.EnqueueHere(spec);
            if (spec.QueuedLease is not null && tasks.Length == 1 && ChannelRunHere.IsSubmitting)
            {
                ChannelRunHere.Offer(spec.TryRunHere); // a lone task held for the channel's reader to run
            }
            if (!_earlyCancels.IsEmpty && _earlyCancels.TryRemove(task.Id, out var early))
            {
                Cancel(spec, early.Force, early.Recursive); // its cancel arrived first
            }
        }

        // After the tasks count (received, queued or running): a draining node takes them and stops draining.
        _runtime.Cluster.Occupancy?.WorkArrived();
    }

    private static List<string>? MissingCode(CodePackages code, RemoteTask[] tasks)
    {
        List<string>? missing = null;
        foreach (var task in tasks)
        {
            var id = task.Function.Code;
            if (id.Length == 0)
            {
                continue;
            }

            if (code.TryGet(id, out var package))
            {
                package.Touch(); // in use: not retired within its grace, even while the job table says its job ended
            }
            else if (!DriverCode.IsLocal(id, task.Function.AssemblyName, out _) && missing?.Contains(id) != true)
            {
                (missing ??= []).Add(id);
            }
        }

        return missing;
    }

    private async Task RunWhenLoadedAsync(CodePackages code, List<string> missing, INodeEndpoint replyTo, RemoteTask[] tasks)
    {
        var failed = new Dictionary<string, Exception>(StringComparer.Ordinal);
        foreach (var id in missing)
        {
            try
            {
                await code.GetAsync(id).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                failed[id] = ex;
            }
        }

        if (failed.Count == 0)
        {
            Run(replyTo, tasks);
            return;
        }

        // Tasks whose code did not load fail, naming the assembly, this node and the loader's reason; the rest run.
        var node = _runtime.Node;
        foreach (var task in tasks)
        {
            if (failed.TryGetValue(task.Function.Code, out var ex))
            {
                var error = RayError.Create(RayErrorKind.FunctionUnavailable, ex.Message, task.Name ?? task.Function.DisplayName);
                _runtime.Replies.Reply(replyTo, new RemoteResult { ObjectId = task.ReturnId, TaskId = task.Id, Error = error, Node = node.Name });
            }
        }

        var loaded = tasks.Where(t => !failed.ContainsKey(t.Function.Code)).ToArray();
        if (loaded.Length > 0)
        {
            Run(replyTo, loaded);
        }
    }

    /// <summary>Cancels a task this node runs for another owner; with <paramref name="recursive"/> the tasks it
    /// submitted too (this node owns them).</summary>
    /// <remarks>A cancel may overtake its task (the owner sends it straight away, the task may still wait in the owner's
    /// send pump, and task batches are interleaved here): one that finds no task is remembered for
    /// <see cref="EarlyCancelMemoryMs"/> and applied when the task arrives.</remarks>
    public void Cancel(TaskId taskId, bool force, bool recursive)
    {
        if (_running.TryGetValue(taskId, out var spec))
        {
            Cancel(spec, force, recursive);
            return;
        }

        var now = Environment.TickCount64;
        if (_earlyCancels.Count >= EarlyCancelPruneAt && now - Interlocked.Read(ref _earlyCancelsPruned) > EarlyCancelMemoryMs / 6)
        {
            // At most every 10 s: most of these are cancels of tasks that had finished, and a scan per cancel would
            // make many cancels quadratic.
            Interlocked.Exchange(ref _earlyCancelsPruned, now);
            foreach (var (id, early) in _earlyCancels)
            {
                if (now - early.At > EarlyCancelMemoryMs)
                {
                    _earlyCancels.TryRemove(id, out _);
                }
            }
        }

        _earlyCancels[taskId] = (force, recursive, now);
        if (_running.TryGetValue(taskId, out spec) && _earlyCancels.TryRemove(taskId, out _))
        {
            Cancel(spec, force, recursive); // the task arrived meanwhile and did not see the cancel
        }
    }

    /// <summary>Cancels a task of another owner and forgets it: the owner failed its result already, so nothing is sent
    /// back, and a task cancelled before it ran never finishes (nothing else would take it out of the running set).</summary>
    private void Cancel(TaskSpec spec, bool force, bool recursive)
    {
        _running.TryRemove(spec.Id, out _);
        spec.Cancel(force, recursive);
    }

    /// <summary>Ends a task another owner sent here that runs now (its placement group was removed): its owner gets
    /// <paramref name="error"/> at once, and the task is cancelled by force (its lease's resources come back now, as a
    /// forced cancel's do; its code sees its token cancelled).</summary>
    public void Fail(TaskSpec spec, RayError error)
    {
        if (_running.TryRemove(spec.Id, out _) && spec.ReplyTo is { } replyTo)
        {
            var result = new RemoteResult { ObjectId = spec.Result.Id, TaskId = spec.Id, Error = error, Node = _runtime.Node.Name };
            _runtime.Replies.Reply(replyTo, MultipleReturns.ToWire(result, MultipleReturns.Ids(spec.OtherReturns)), spec.DisplayName);
        }

        spec.Cancel(force: true, error);
    }

    /// <inheritdoc/>
    public void Completed(TaskSpec spec, object? value, RayError? error, long durationTicks)
    {
        if (_running.TryRemove(spec.Id, out _) && !spec.Cancelled && spec.ReplyTo is { } replyTo)
        {
            var result = new RemoteResult { ObjectId = spec.Result.Id, TaskId = spec.Id, Value = value, Error = error, Node = _runtime.Node.Name, DurationTicks = durationTicks, GeneratorCount = (spec.Generator as GeneratorItemSender)?.Yielded ?? 0 };
            _runtime.Replies.Reply(replyTo, MultipleReturns.ToWire(result, MultipleReturns.Ids(spec.OtherReturns)), spec.DisplayName, spec.ResultDriver);
        }
    }

    /// <inheritdoc/>
    public void SpilledBack(TaskSpec spec, NodeId suggested)
    {
        // Out of the running set before the owner hears of it: the owner may send the task here again at once, and that
        // send must not be taken for a duplicate. A cancel arriving meanwhile finds nothing here; the owner, which
        // cancelled it first, drops it when the spillback reaches it.
        if (spec.ReplyTo is not { } owner || !_running.TryRemove(spec.Id, out _))
        {
            _runtime.Scheduler.EnqueueHere(spec);
            return;
        }

        _ = SpillBackAsync(owner, spec, suggested);
    }

    private async Task SpillBackAsync(INodeEndpoint owner, TaskSpec spec, NodeId suggested)
    {
        SpillbackAnswer answer;
        try
        {
            answer = await owner.SpilledBackAsync(_runtime.Node.NodeId, spec.Id, suggested).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            answer = SpillbackAnswer.Keep; // the owner cannot be reached (gone, or an older version): run it here
        }

        // Kept: back into the queue, unless the owner sent the same task here again meanwhile (that copy runs).
        if (answer == SpillbackAnswer.Keep && _running.TryAdd(spec.Id, spec))
        {
            _runtime.Scheduler.EnqueueHere(spec);
        }
    }

    /// <summary>Results of work this runtime owns, from the nodes that ran it.</summary>
    public void Deliver(RemoteResult[] results)
    {
        var objects = _runtime.Objects;
        foreach (var delivered in results)
        {
            var result = delivered;
            if (result.Error is { FunctionName.Length: 0 } unnamed && objects.TryGet(result.ObjectId, out var produced)
                && (produced.Producer switch { TaskSpec task => task.DisplayName, Actors.ActorCallHandle call => call.DisplayName, _ => null }) is { } name)
            {
                // An error made where the work's name was not known (a result whose batch failed to send, OwnerReplies):
                // this owner knows which work it awaits.
                result = result with { Error = WireCheck.Named(unnamed, name) };
            }

            if (result.GeneratorItem > 0)
            {
                _runtime.Generators.Deliver(result);
                continue;
            }

            if (result.GeneratorCount > 0)
            {
                // An actor generator's end comes as an actor result (no task id): its stream is keyed by its end's id.
                _runtime.Generators.Announce(result.TaskId.IsEmpty ? GeneratorItems.StreamOf(result.ObjectId) : result.TaskId, result.GeneratorCount);
            }

            if (!result.TaskId.IsEmpty && _runtime.Cluster.TryComplete(result))
            {
                continue;
            }

            if (result.TaskId.IsEmpty && objects.TryGet(result.ObjectId, out var entry))
            {
                entry.TrySetResult(result.Value, result.Error);

                objects.DropIfOrphaned(entry);
            }

            if (result.TaskId.IsEmpty && result.OtherReturns is { } others)
            {
                // An actor call's other returns: each its own object (an error reached them through the first's).
                foreach (var other in others)
                {
                    if (objects.TryGet(other.Id, out var otherEntry))
                    {
                        otherEntry.TrySetResult(other.Value, result.Error);
                        objects.DropIfOrphaned(otherEntry);
                    }
                }
            }
        }
    }

    /// <summary>A borrower could not read the copy at <paramref name="lostStore"/>: rebuilds the object if that is still
    /// its copy, then answers as <see cref="WaitObjectForBorrowerAsync"/>.</summary>
    public Task<RemoteResult> RecoverForBorrowerAsync(ObjectId id, string lostStore)
    {
        if (_runtime.Objects.TryGet(id, out var entry) && entry.Read().Stored is { } stored && stored.Store == lostStore)
        {
            _runtime.Objects.Recover?.Invoke(entry, stored);
        }

        return WaitObjectForBorrowerAsync(id);
    }

    /// <summary>Answers a borrower's read of an object this runtime owns: its value, an error, or "pending" after
    /// <see cref="BorrowWait"/> (the borrower asks again).</summary>
    public async Task<RemoteResult> WaitObjectForBorrowerAsync(ObjectId id)
    {
        if (!_runtime.Objects.TryGet(id, out var entry))
        {
            return new RemoteResult { ObjectId = id, Error = RayError.Create(RayErrorKind.ObjectLost, $"Object {id} no longer exists at its owner: every reference to it was released, or its owner restarted.") };
        }

        Interlocked.Increment(ref _borrowerWaits);
        bool completed;
        try
        {
            completed = await ObjectWaiter.WaitOneAsync(entry, BorrowWait, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _borrowerWaits);
        }

        if (!completed)
        {
            return new RemoteResult { ObjectId = id, Pending = true };
        }

        var outcome = entry.Read();
        if (!outcome.IsComplete)
        {
            return new RemoteResult { ObjectId = id, Pending = true }; // being rebuilt: the borrower asks again
        }

        if (outcome.Error is { } error)
        {
            return new RemoteResult { ObjectId = id, Error = error };
        }

        // A stored object is answered with where it lives: the borrower pulls it from there.
        return new RemoteResult { ObjectId = id, Value = outcome.Stored ?? outcome.Value, Node = _runtime.Node.Name };
    }
}
