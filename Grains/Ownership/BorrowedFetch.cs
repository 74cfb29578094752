using Microsoft.Extensions.Logging;
using OrleansRay.Grains;
using OrleansRay.Transport;

namespace OrleansRay.Ownership;

/// <summary>A borrower's read of an object through its owner, another process (Ray's borrower waiting on the owner):
/// asks until the owner answers. A call that fails because the owner is busy or out of reach for a moment is asked
/// again while the cluster still shows the owner alive; the object is lost only once its owner is known dead (Ray's
/// OwnerDiedError), or when the owner refuses the request.</summary>
/// <remarks>Readers wait on the entry with their own timeouts and cancellation; this loop ends when the entry completes.</remarks>
internal static partial class BorrowedFetch
{
    /// <summary>The first wait before asking again after a failed call, doubled up to <see cref="MaxBackoff"/>.</summary>
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between two asks: membership declares a dead node within seconds, so a read learns of
    /// its owner's death, or gets the object, within about this much of it.</summary>
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    /// <summary>Completes <paramref name="entry"/> with the owner's answer: asks for the object (or, with
    /// <paramref name="lostStore"/>, tells the owner the copy there is lost and asks for the object again).</summary>
    public static async Task RunAsync(ObjectEntry entry, INodeEndpoint owner, string? lostStore, IOwnerWatch? watch, ILogger logger)
    {
        var backoff = FirstBackoff;
        while (!entry.IsComplete)
        {
            RemoteResult answer;
            try
            {
                answer = lostStore is null
                    ? await owner.WaitObjectAsync(entry.Id).ConfigureAwait(false)
                    : await owner.RecoverObjectAsync(entry.Id, lostStore).ConfigureAwait(false);
                lostStore = null;
                backoff = FirstBackoff;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                var where = string.Empty;
                var fate = watch?.Check(owner, out where) ?? OwnerFate.Unknown;
                LogAskFailed(logger, entry.Id, ex);
                if (fate == OwnerFate.Dead || OwnerLeft(ex))
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
