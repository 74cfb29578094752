using Microsoft.Extensions.Logging;
using OrleansRay.Grains;
using OrleansRay.Transport;

namespace OrleansRay.Ownership;

/// <summary>A borrower's read of an object through its owner, another process (Ray's borrower waiting on the owner):
/// asks until the owner answers. A call that fails because the owner is busy or out of reach for a moment is asked
/// again while the cluster still shows the owner alive; the object is lost only once its owner is known dead (Ray's
/// OwnerDiedError), or when the owner refuses the request. A driver owner is not in membership: while a call to it is
/// unanswered for <see cref="DriverCheckInterval"/>, the job table is asked whether the driver's job has ended (a killed
/// driver's calls would otherwise wait out Orleans' 30 s response timeout, again and again, until the gateway drops it).</summary>
/// <remarks>Readers wait on the entry with their own timeouts and cancellation; this loop ends when the entry completes.</remarks>
internal static partial class BorrowedFetch
{
    /// <summary>The first wait before asking again after a failed call, doubled up to <see cref="MaxBackoff"/>.</summary>
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between two asks: membership declares a dead node within seconds, so a read learns of
    /// its owner's death, or gets the object, within about this much of it.</summary>
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    /// <summary>How long a call to an owner that membership does not know (a driver) may go unanswered before the job
    /// table is asked whether the driver's job ended, and again after each such period.</summary>
    internal static readonly TimeSpan DriverCheckInterval = TimeSpan.FromSeconds(1);

    /// <summary>Completes <paramref name="entry"/> with the owner's answer: asks for the object (or, with
    /// <paramref name="lostStore"/>, tells the owner the copy there is lost and asks for the object again).</summary>
    public static async Task RunAsync(ObjectEntry entry, BorrowedOwner borrowed, string? lostStore, IOwnerWatch? watch, ILogger logger)
    {
        var owner = borrowed.Endpoint;
        var backoff = FirstBackoff;
        if (watch?.IsDriverKnownEnded(borrowed.Worker) == true)
        {
            entry.TrySetError(RayError.Create(RayErrorKind.ObjectLost, OwnerDied(entry.Id, string.Empty)));
            return;
        }

        while (!entry.IsComplete)
        {
            RemoteResult answer;
            try
            {
                var call = lostStore is null ? owner.WaitObjectAsync(entry.Id) : owner.RecoverObjectAsync(entry.Id, lostStore);
                if (watch is not null && !call.IsCompleted && await DriverEndedWhileWaitingAsync(call, borrowed, watch).ConfigureAwait(false))
                {
                    // The call may still end, in an error after Orleans' response timeout: observed, and nothing waits for it.
                    _ = call.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    entry.TrySetError(RayError.Create(RayErrorKind.ObjectLost, OwnerDied(entry.Id, string.Empty)));
                    return;
                }

                answer = await call.ConfigureAwait(false);
                lostStore = null;
                backoff = FirstBackoff;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                var where = string.Empty;
                var fate = watch?.Check(owner, out where) ?? OwnerFate.Unknown;
                LogAskFailed(logger, entry.Id, ex);
                if (fate == OwnerFate.Dead || OwnerLeft(ex) || (fate == OwnerFate.Unknown && await HasEndedAsync(watch, borrowed.Worker).ConfigureAwait(false)))
                {
                    entry.TrySetError(RayError.Create(RayErrorKind.ObjectLost, OwnerDied(entry.Id, where)));
                    return;
                }

                if (!MayAskAgain(ex))
                {
                    entry.TrySetError(RayError.Create(RayErrorKind.ObjectLost, Refused(entry.Id, where, ex)));
                    return;
                }

                await Task.Delay(backoff).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                continue;
            }

            if (answer.Pending)
            {
                continue;
            }

            if (answer.Error is { } error)
            {
                entry.TrySetError(error);
            }
            else
            {
                entry.TrySetInlineValue(answer.Value);
            }
        }
    }

    /// <summary>Waits for <paramref name="call"/> to the owner; when membership does not know the owner (a driver), asks
    /// the job table each <see cref="DriverCheckInterval"/> the call goes unanswered whether the driver's job ended.
    /// True when it did (the call is left to end on its own); false once the call ended, or at once for a node owner
    /// (membership declares a node dead, and calls to a dead silo fail on their own).</summary>
    private static async Task<bool> DriverEndedWhileWaitingAsync(Task<RemoteResult> call, BorrowedOwner borrowed, IOwnerWatch watch)
    {
        if (watch.Check(borrowed.Endpoint, out _) != OwnerFate.Unknown)
        {
            return false;
        }

        while (true)
        {
            using var tick = new CancellationTokenSource();
            var delay = Task.Delay(DriverCheckInterval, tick.Token);
            if (await Task.WhenAny(call, delay).ConfigureAwait(false) == call)
            {
                await tick.CancelAsync().ConfigureAwait(false);
                return false;
            }

            if (await HasEndedAsync(watch, borrowed.Worker).ConfigureAwait(false))
            {
                return true;
            }
        }
    }

    private static async ValueTask<bool> HasEndedAsync(IOwnerWatch? watch, WorkerId driver) =>
        watch is not null && await watch.HasDriverEndedAsync(driver).ConfigureAwait(false);

    /// <summary>The message of an object lost with its owner: one line, naming the owner and what to do (Ray's
    /// OwnerDiedError).</summary>
    public static string OwnerDied(ObjectId id, string where)
    {
        var owner = where.Length > 0 ? $"the process on {where} that created it" : "the driver or node process that created it";
        return $"Object {id} is lost because its owner, {owner} (with PutAsync, or as the result of a task it submitted), has died. " +
            "An object owned by a dead process cannot be rebuilt: keep the process that creates an object alive while others read it, or return the value itself instead of a ref to it.";
    }

    /// <summary>The message of an object whose owner answered the request with an error rather than the object.</summary>
    private static string Refused(ObjectId id, string where, Exception ex)
    {
        var owner = where.Length > 0 ? $"the process on {where}" : "the process that created it";
        return $"Object {id} could not be read from its owner, {owner}: {CallFailures.Describe(ex)}.";
    }

    /// <summary>Failures that say the owner is gone for good: Orleans no longer knows its client (a driver that exited),
    /// or its runtime has shut down.</summary>
    private static bool OwnerLeft(Exception ex) =>
        (ex is AggregateException { InnerException: { } inner } ? inner : ex) is ClientNotAvailableException or ObjectDisposedException;

    /// <summary>Failures of the call, not of the request: the owner is busy (no answer in time) or out of reach for now;
    /// asking again may succeed.</summary>
    private static bool MayAskAgain(Exception ex)
    {
        var e = ex is AggregateException { InnerException: { } inner } ? inner : ex;
        return e is TimeoutException or SiloUnavailableException or OrleansMessageRejectionException
            or System.Net.Sockets.SocketException or TaskChannelClosedException
            || CallFailures.NeverConnected(e) || e.GetType().Name is "ConnectionAbortedException" or "GatewayTooBusyException";
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Asking the owner of borrowed object {ObjectId} for it failed")]
    private static partial void LogAskFailed(ILogger logger, ObjectId objectId, Exception exception);
}
