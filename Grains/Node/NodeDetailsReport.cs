namespace OrleansRay.Node;

/// <summary>A node's details for the dashboard: task counts, the latest finished tasks, hosted actors, owned and held
/// objects, and its object store's figures.</summary>
internal static class NodeDetailsReport
{
    /// <summary>Reads <paramref name="runtime"/>'s details with at most <paramref name="latestTasks"/> finished tasks
    /// (clamped to the event log's capacity). A store that does not answer within 5 s is reported in
    /// <see cref="NodeDetails.StoreError"/>, not thrown.</summary>
    public static async Task<NodeDetails> ReadAsync(NodeRuntime runtime, int latestTasks)
    {
        StoreFigures? store = null;
        string? storeError = null;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (runtime.Store is { } local)
            {
                var s = await local.Client.GetStatsAsync(timeout.Token).ConfigureAwait(false);
                store = new StoreFigures(s.Capacity, s.UsedBytes, s.ObjectCount, s.SpilledBytes, s.SpillCount, s.RestoreCount, s.PullBytesReceived, s.TransferBytesSent);
            }
            else if (runtime.StoreFiguresProvider is { } provider)
            {
                store = await provider(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            storeError = $"{ex.GetType().Name}: {ex.Message}";
        }

        var scheduler = runtime.Scheduler;
        var events = runtime.Events;
        return new NodeDetails
        {
            Node = runtime.Node.Name,
            Tasks = new NodeTaskCounts
            {
                Submitted = scheduler.Counts.Submitted,
                Pending = scheduler.QueuedCount,
                WaitingForArgs = scheduler.Counts.WaitingForArgs,
                Running = scheduler.RunningCount,
                Finished = scheduler.Counts.Finished,
                Failed = scheduler.Counts.Failed,
                Received = runtime.Foreign.Received,
                SentElsewhere = scheduler.Counts.SentElsewhere,
            },
            LatestTasks = events.Latest(Math.Clamp(latestTasks, 0, events.Capacity))
                .Select(e => new TaskRecord(e.TaskId.ToString(), e.Function, e.Node, e.FinishedAt, Math.Round(e.Duration.TotalMilliseconds, 3), e.Error))
                .ToArray(),
            Actors = runtime.ActorServices.HostedActors.Snapshot(),
            OwnedObjects = runtime.Objects.Count,
            ManagedHeapBytes = GC.GetTotalMemory(false),
            Store = store,
            StoreError = storeError,
            EventLogCapacity = events.Capacity,
            EventsRecorded = events.Recorded,
            JobCodeLoaded = runtime.Code?.Loaded ?? 0,
            JobCodeContexts = runtime.Code?.Contexts ?? 0,
        };
    }
}
