using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OrleansRay.Execution;
using OrleansRay.Ownership;
using OrleansRay.Transport;

namespace OrleansRay.Scheduling;

/// <summary>Runs attempts of tasks under their leases and finishes them: resolves the arguments, invokes the function
/// through the <see cref="Invoker"/>, retries a failed attempt while the task's retry budget allows (Ray's
/// <c>max_retries</c> with <c>retry_exceptions</c>), and completes the task's return object, or hands the outcome of a
/// task run for another owner to <see cref="IForeignTaskResults"/>.</summary>
internal sealed partial class TaskAttempts : ITaskRunner
{
    private readonly object _host;
    private readonly LocalNode _node;
    private readonly ObjectReader _reader;
    private readonly TaskEventLog _events;
    private readonly IForeignTaskResults _foreign;
    private readonly ILogger _logger;
    private readonly Action<TaskSpec, object?, Exception?> _completed;

    /// <param name="host">The node runtime (what <see cref="TaskContext.Host"/> gives the running code).</param>
    /// <param name="node">This node's identity.</param>
    /// <param name="reader">Resolves arguments.</param>
    /// <param name="events">The finished-task log.</param>
    /// <param name="foreign">Where results of tasks run for other owners go.</param>
    /// <param name="logger">Logs retries.</param>
    public TaskAttempts(object host, LocalNode node, ObjectReader reader, TaskEventLog events, IForeignTaskResults foreign, ILogger logger)
    {
        _host = host;
        _node = node;
        _reader = reader;
        _events = events;
        _foreign = foreign;
        _logger = logger;
        _completed = Complete;
        Recovery = new ObjectRecovery(reader.Objects, logger);
    }

    /// <inheritdoc/>
    public object Host => _host;

    /// <summary>Rebuilds lost objects this runtime owns from their lineage.</summary>
    public ObjectRecovery Recovery { get; }

    /// <summary>Runs one attempt of <paramref name="spec"/> under <paramref name="lease"/> on the current worker thread;
    /// synchronous functions complete inline.</summary>
    public ValueTask RunAsync(TaskSpec spec, Lease lease)
    {
        if (spec.Cancelled || spec.ReturnsComplete)
        {
            if (spec.OtherReturns is not null && !spec.IsForeign && !spec.Cancelled)
            {
                // A rerun for a lost return found every return filled by an earlier one: done, as that run left it.
                spec.State = TaskState.Done;
                spec.ReleaseHeldArguments(_reader.Objects);
            }

            return default;
        }

        spec.Attempt++;
        spec.StartedAt = Stopwatch.GetTimestamp();
        if (RuntimeMeters.SchedulingLatency.Enabled && spec.ReadyAt != 0)
        {
            RuntimeMeters.SchedulingLatency.Record(
                Stopwatch.GetElapsedTime(spec.ReadyAt, spec.StartedAt).TotalSeconds,
                new KeyValuePair<string, object?>("node", _node.Name));
        }

        var args = ArgumentArrays.Rent(spec.Args.Length);
        var argError = _reader.ResolveArguments(spec.Args, args, 0, spec.DisplayName, spec.Function.Code);
        if (argError is not null)
        {
            ArgumentArrays.Return(args);
            if (!spec.IsForeign && Recovery.TryRerunAfterLostArgument(spec, argError))
            {
                return default;
            }

            Finish(spec, null, argError);
            return default;
        }

        // The node's own code runs with its spec as its context's source: the context is made only if the code asks for
        // it (most never do). A job's code gets its context now, which its flow holds weakly (TaskContext.Current).
        ITaskContextSource context = spec.Function.Code is null
            ? spec.ForNewAttempt()
            : new TaskContext(_host, spec.DisplayName, spec.Cancelled ? new CancellationToken(true) : CancellationToken.None, lease) { Work = spec, IsJobCode = true, NumReturns = spec.NumReturns, Generator = spec.Generator, Job = spec.Job };
        // Like the lease loop, an asynchronous task finishes on the worker pool.
        var run = Invoker.InvokeAsync(spec.Function, args, context, spec, _completed, resumeOnWorker: true);
        ArgumentArrays.Return(args); // read before the function started
        return run;
    }

    private void Complete(TaskSpec spec, object? value, Exception? exception)
    {
        if (exception is null)
        {
            Finish(spec, value, null);
        }
        else if (spec.RetryExceptions is { } retry && spec.Attempt <= spec.MaxRetries && !spec.Cancelled && retry.Retries(exception))
        {
            LogTaskRetry(_logger, spec.DisplayName, spec.Attempt, exception.Message);
            spec.State = TaskState.Waiting;
            spec.Engine.Enqueue(spec);
        }
        else
        {
            Finish(spec, null, RayError.FromException(exception, spec.DisplayName));
        }
    }

    private void Finish(TaskSpec spec, object? value, RayError? error)
    {
        if (error is null && !spec.IsForeign && _reader.Copier.CheckResult(value, spec.DisplayName) is { } unserializable)
        {
            // Kept here, the result never crosses a wire: a value its readers cannot copy out fails the task now, with
            // its name (a result for another owner is checked on its way there, OwnerReplies).
            (value, error) = (null, unserializable);
        }

        spec.State = TaskState.Done;
        spec.RunningLease = null;
        TaskChildren.Forget(spec); // its code is over: a cancel of a finished task reaches none of them
        var duration = spec.StartedAt == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(spec.StartedAt);

        // Counted and in the event log before its result is out: a driver that sees the result (one spinning for it sees
        // it at once) sees the task finished too.
        spec.Engine.Counts.RecordFinished(error is not null, owned: !spec.IsForeign);
        Record(spec, _node.Name, duration, error);
        if (spec.IsForeign)
        {
            _foreign.Completed(spec, value, error, duration.Ticks);
        }
        else
        {
            spec.CompleteReturns(value, error);
        }

        if (!spec.IsForeign)
        {
            spec.ReleaseHeldArguments(_reader.Objects);
            _reader.Objects.DropIfOrphaned(spec.Result);
        }
    }

    /// <inheritdoc/>
    public void Refuse(TaskSpec spec, RayError error) => Finish(spec, null, error);

    /// <summary>Hands the queued foreign task <paramref name="spec"/> (taken off this node's queue) back to its owner,
    /// suggesting <paramref name="suggested"/> (Ray's spillback reply); the owner re-places it, or it runs here.</summary>
    public void SpillBack(TaskSpec spec, NodeId suggested) => _foreign.SpilledBack(spec, suggested);

    /// <summary>Completes a task this runtime owns that ran on <paramref name="node"/> (another node, or none when it
    /// could not be placed).</summary>
    public void FinishOwned(TaskSpec spec, object? value, RayError? error, string node, long durationTicks)
    {
        var ranElsewhere = node.Length > 0 && node != _node.Name;
        spec.State = TaskState.Done;
        if (!ranElsewhere)
        {
            // A task that ran on another node is counted there (finished or failed); counting it here too would
            // double the cluster's sums.
            spec.Engine.Counts.RecordFinished(error is not null);
        }

        Record(spec, node, TimeSpan.FromTicks(durationTicks), error); // before the result is out, as in Finish
        spec.CompleteReturns(value, error);
        spec.ReleaseHeldArguments(_reader.Objects);
        _reader.Objects.DropIfOrphaned(spec.Result);
    }

    /// <inheritdoc/>
    public void RecordCancelled(TaskSpec spec, RayError error)
    {
        // Listed by the node it runs on; one run here for another owner that had not started here never ran (a cancel
        // that overtook it, or found it queued) and is not listed. An owned one that had not started is listed as
        // having run nowhere, as Ray lists a cancelled pending task.
        var here = spec.State == TaskState.Running && spec.RunningLease is not null;
        if ((spec.IsForeign && !here) || !spec.TryClaimCancelledRecord())
        {
            return;
        }

        var duration = here && spec.StartedAt != 0 ? Stopwatch.GetElapsedTime(spec.StartedAt) : TimeSpan.Zero;
        Write(spec, here ? _node.Name : string.Empty, duration, error);
    }

    /// <summary>Writes the task's row in the finished-task log, once per finish; a cancelled task's row says it was
    /// cancelled (FAILED, <see cref="TaskEventErrors.CancelledType"/>) whatever its code did after the cancel, and is
    /// written once (most often by <see cref="RecordCancelled"/> at the cancel).</summary>
    private void Record(TaskSpec spec, string node, TimeSpan duration, RayError? error)
    {
        if (spec.Cancelled)
        {
            if (!spec.TryClaimCancelledRecord())
            {
                return;
            }

            if (error?.Kind != RayErrorKind.Cancelled)
            {
                error = RayError.Create(RayErrorKind.Cancelled, $"Task {spec.DisplayName} ({spec.Id}) was cancelled.", spec.DisplayName);
            }
        }

        Write(spec, node, duration, error);
    }

    private void Write(TaskSpec spec, string node, TimeSpan duration, RayError? error) =>
        _events.Record(new TaskEvent(spec.Id, spec.DisplayName, node, DateTimeOffset.UtcNow, duration,
            error is null ? null : TaskEventErrors.Describe(error), Math.Max(0, spec.Attempt - 1), spec.JobDriver));

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {FunctionName} failed on attempt {Attempt} and will be retried: {Reason}")]
    private static partial void LogTaskRetry(ILogger logger, string functionName, int attempt, string reason);
}
