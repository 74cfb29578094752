using System.Collections.Concurrent;

namespace OrleansRay.Train.Collective;

/// <summary>The process-local mailboxes of collective messages, one per (group, rank) hosted in this process. A worker
/// actor's inbox method calls <see cref="Deliver"/>; the rank's <see cref="Communicator"/> receives from it.</summary>
/// <remarks>A message may arrive before its receiver asks for it (it waits in the mailbox) or after (the receiver's
/// wait completes). An abort message (<see cref="CollectiveMessage.Error"/> set) breaks the rank's mailbox: every
/// pending and later receive of the group fails with it, as a failed NCCL communicator stays failed. <see cref="Drop"/>
/// ends a group: its waits fail and its later messages are discarded.</remarks>
internal static class CollectiveInbox
{
    private static readonly ConcurrentDictionary<(string Group, int Rank), Mailbox> Boxes = new();
    /// <summary>The groups dropped in this process (a few bytes each; group ids are unique per training attempt).</summary>
    private static readonly ConcurrentDictionary<string, byte> Dropped = new();

    /// <summary>Hands a message to its receiver's mailbox (in this process). Messages of a dropped group are discarded.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    public static void Deliver(CollectiveMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (Dropped.ContainsKey(message.GroupId))
        {
            message.Ref?.Dispose();
            return;
        }

        Box(message.GroupId, message.ToRank).Deliver(message);
        if (Dropped.ContainsKey(message.GroupId))
        {
            Drop(message.GroupId); // raced with Drop: do not leave a mailbox behind
        }
    }

    /// <summary>Ends a group in this process: its pending receives fail, its undelivered messages are released and its
    /// later messages discarded. Call once the group's work is over (the trainer does, per attempt).</summary>
    public static void Drop(string groupId)
    {
        ArgumentNullException.ThrowIfNull(groupId);
        Dropped.TryAdd(groupId, 0);
        foreach (var key in Boxes.Keys)
        {
            if (key.Group == groupId && Boxes.TryRemove(key, out var box))
            {
                box.Fail($"collective group '{groupId}' was dropped");
            }
        }
    }

    /// <summary>Waits for the message of (<paramref name="fromRank"/>, <paramref name="sequence"/>,
    /// <paramref name="step"/>) to rank <paramref name="rank"/> of <paramref name="groupId"/>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    /// <exception cref="CollectiveAbortedException">A rank aborted the group, or the group was dropped.</exception>
    internal static Task<CollectiveMessage> ReceiveAsync(string groupId, int rank, int fromRank, long sequence, int step, CancellationToken cancellationToken)
    {
        if (Dropped.ContainsKey(groupId))
        {
            return Task.FromException<CollectiveMessage>(new CollectiveAbortedException($"collective group '{groupId}' was dropped"));
        }

        return Box(groupId, rank).ReceiveAsync((fromRank, sequence, step), cancellationToken);
    }

    /// <summary>Whether this process holds a mailbox of the group (for tests: dropped groups leave none).</summary>
    internal static bool Holds(string groupId) => Boxes.Keys.Any(k => k.Group == groupId);

    private static Mailbox Box(string groupId, int rank) => Boxes.GetOrAdd((groupId, rank), static _ => new Mailbox());

    private sealed class Mailbox
    {
        private readonly Dictionary<(int From, long Sequence, int Step), CollectiveMessage> _arrived = new();
        private readonly Dictionary<(int From, long Sequence, int Step), TaskCompletionSource<CollectiveMessage>> _waiting = new();
        private string? _fault;

        public void Deliver(CollectiveMessage message)
        {
            if (message.Error is not null)
            {
                Fail($"rank {message.FromRank} aborted collective #{message.Sequence}: {message.Error}");
                return;
            }

            TaskCompletionSource<CollectiveMessage>? waiter;
            var key = (message.FromRank, message.Sequence, message.Step);
            lock (this)
            {
                if (_fault is not null)
                {
                    message.Ref?.Dispose();
                    return;
                }

                if (_waiting.Remove(key, out waiter))
                {
                }
                else if (!_arrived.TryAdd(key, message))
                {
                    throw new InvalidOperationException($"Duplicate {message}: every collective message is sent once.");
                }
            }

            waiter?.TrySetResult(message);
        }

        public Task<CollectiveMessage> ReceiveAsync((int, long, int) key, CancellationToken cancellationToken)
        {
            TaskCompletionSource<CollectiveMessage> waiter;
            lock (this)
            {
                if (_fault is not null)
                {
                    return Task.FromException<CollectiveMessage>(new CollectiveAbortedException(_fault));
                }

                if (_arrived.Remove(key, out var message))
                {
                    return Task.FromResult(message);
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    return Task.FromCanceled<CollectiveMessage>(cancellationToken);
                }

                waiter = new TaskCompletionSource<CollectiveMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Add(key, waiter);
            }

            if (cancellationToken.CanBeCanceled)
            {
                var registration = cancellationToken.Register(() =>
                {
                    lock (this)
                    {
                        _waiting.Remove(key);
                    }

                    waiter.TrySetCanceled(cancellationToken);
                });
                waiter.Task.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration, TaskScheduler.Default);
            }

            return waiter.Task;
        }

        public void Fail(string reason)
        {
            List<TaskCompletionSource<CollectiveMessage>> waiters;
            lock (this)
            {
                _fault ??= reason;
                waiters = _waiting.Values.ToList();
                _waiting.Clear();
                foreach (var message in _arrived.Values)
                {
                    message.Ref?.Dispose();
                }

                _arrived.Clear();
            }

            foreach (var waiter in waiters)
            {
                waiter.TrySetException(new CollectiveAbortedException(reason));
            }
        }
    }
}
