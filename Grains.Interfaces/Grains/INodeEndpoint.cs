namespace OrleansRay.Grains;

/// <summary>The network face of one runtime (a node, or a connected driver): an Orleans grain observer, so a call reaches
/// exactly the process that created it, silo or client alike.</summary>
/// <remarks>
/// Nodes publish their endpoint in the node table; owners pass theirs with the work they send, and results come back
/// to it. Every method takes a batch: the hot path pays one message per batch, never one per task.
/// </remarks>
[Alias("orleansray.INodeEndpoint")]
public interface INodeEndpoint : IGrainObserver
{
    /// <summary>Runs tasks spilled to this node; results go to <paramref name="replyTo"/>. Returns once they are queued,
    /// except for a batch of one task that is not a streaming generator: that reply waits (at most about a millisecond)
    /// for the task to finish and carries its result, as Ray's PushTask reply carries a small return value. One round
    /// trip then does for a task what a submit and a result message did.</summary>
    /// <returns>Results of the batch's tasks that finished before the reply (then they are not sent through
    /// <see cref="DeliverResultsAsync"/>); null when none did.</returns>
    /// <remarks>Always interleaved: an Orleans observer runs its calls one at a time, and the endpoint's other calls
    /// (results of the node's own tasks, cancels) must not wait behind a reply held open.</remarks>
    [Alias("RunTasks")]
    [Orleans.Concurrency.AlwaysInterleave]
    Task<RemoteResult[]?> RunTasksAsync(INodeEndpoint replyTo, RemoteTask[] tasks);

    /// <summary>Results of tasks and actor calls this runtime owns. One-way: the sender has nothing to do with an
    /// acknowledgement (an owner that is gone takes its objects with it), and skipping it halves a result's messages.</summary>
    [Alias("DeliverResults")]
    [Orleans.Concurrency.OneWay]
    Task DeliverResultsAsync(RemoteResult[] results);

    /// <summary>Calls this runtime's submitter made to an actor now wait on another node than the one that accepted them
    /// (the actor moved there with them before it started): they are lost with that node from now on. One-way: a caller
    /// that is gone has nothing to update.</summary>
    [Alias("ActorCallsMoved")]
    [Orleans.Concurrency.OneWay]
    Task ActorCallsMovedAsync(ActorCallsMoved moved);

    /// <summary>Cancels a task this node runs for another owner; with <paramref name="recursive"/> (Ray's default) the
    /// tasks it submitted too (this node owns them), and theirs.</summary>
    [Alias("CancelTaskTree")]
    Task CancelTaskAsync(TaskId taskId, bool force, bool recursive);

    /// <summary>The owners freed these stored objects: delete this node's copies of them (primary or secondary) from its
    /// object store. Sent to every node, since any of them may have pulled a copy; a node without one ignores it.</summary>
    [Alias("DeleteStored")]
    [Orleans.Concurrency.OneWay]
    Task DeleteStoredAsync(ObjectId[] ids);

    /// <summary>The driver <paramref name="driver"/>, which has no store of its own, is about to put object
    /// <paramref name="id"/> into this node's store over its transfer endpoint: the node records it, and frees it when
    /// the driver is gone (<see cref="ReleasePutsAsync"/>, or its job ended). Awaited before the put, so no object the
    /// driver put is unknown here.</summary>
    [Alias("RecordPut")]
    Task RecordPutAsync(WorkerId driver, ObjectId id);

    /// <summary>The driver <paramref name="driver"/> is going away (it disposes its IRay): this node deletes from its
    /// store the objects the driver still owns there, what it put and its tasks' large results (Ray frees the objects
    /// of an owner that exits). Other nodes free theirs when the job table shows the driver's job ended.</summary>
    [Alias("ReleasePuts")]
    Task ReleasePutsAsync(WorkerId driver);

    /// <summary>Refs to objects this runtime owns began (<paramref name="added"/>) or ceased (<paramref name="removed"/>)
    /// to live in another process: each counts as a handle (Ray's borrowers).</summary>
    [Alias("BorrowsChanged")]
    [Orleans.Concurrency.OneWay]
    Task BorrowsChangedAsync(ObjectId[] added, ObjectId[] removed);

    /// <summary>Waits (a bounded time) for an object this runtime owns and returns it: its value, a
    /// where a large one is stored (<see cref="StoredObject"/>), its error, or <see cref="RemoteResult.Pending"/> when not ready yet.</summary>
    /// <remarks>Always interleaved: the wait may last seconds, and an Orleans observer runs its calls one at a time, so
    /// the result that completes the object (a <see cref="DeliverResultsAsync"/> to this same endpoint) would queue
    /// behind it until the wait gave up.</remarks>
    [Alias("WaitObject")]
    [Orleans.Concurrency.AlwaysInterleave]
    Task<RemoteResult> WaitObjectAsync(ObjectId id);

    /// <summary>A borrower could not read the copy of an object this runtime owns that it was told is in the store at
    /// <paramref name="lostStore"/> ("address:port"): the owner rebuilds it from its lineage if that copy is still the
    /// one it knows (or fails it with why it cannot), then answers as <see cref="WaitObjectAsync"/> does.</summary>
    /// <remarks>Always interleaved, as <see cref="WaitObjectAsync"/> is.</remarks>
    [Alias("RecoverObject")]
    [Orleans.Concurrency.AlwaysInterleave]
    Task<RemoteResult> RecoverObjectAsync(ObjectId id, string lostStore);

    /// <summary>This node's task counts, latest <paramref name="latestTasks"/> finished tasks, hosted actors, objects
    /// and store (the dashboard asks every live node and sums).</summary>
    [Alias("GetDetails")]
    Task<NodeDetails> GetDetailsAsync(int latestTasks);

    /// <summary>The state API's question to one runtime: its tasks, actors or objects that pass the query's filters, at
    /// most its limit (or their summary), filtered here so a node with many sends few.</summary>
    [Alias("QueryState")]
    Task<NodeStateAnswer> QueryStateAsync(StateQuery query);

    /// <summary>The state API's spilled column (Ray's <c>ray memory</c>): for each id, whether this node's object store
    /// holds it spilled to disk now (true), in memory (false), or not at all (null: never here, freed, or not sealed
    /// yet). One store request per 1,024 ids; nothing is restored or pinned.</summary>
    [Alias("GetSpilled")]
    Task<bool?[]> GetSpilledAsync(ObjectId[] ids);

    /// <summary>Ray's DrainNode, as the autoscaler asks it before removing this node: when the node runs, queues and hosts
    /// nothing (no task running, queued or waiting for arguments, no actor, no primary copy in its store, asked fresh, no
    /// object its runtime owns), it marks itself draining (placement avoids it from its next row on) and answers null;
    /// otherwise it answers why it is busy and does not drain. With <paramref name="confirm"/>, it also answers busy when
    /// work reached it since the drain began (the drain ended).</summary>
    [Alias("DrainIfIdle")]
    Task<string?> DrainIfIdleAsync(bool confirm);

    /// <summary>Reserves placement-group bundles on this node (all or none); false when they do not fit now.</summary>
    [Alias("ReserveBundles")]
    Task<bool> ReserveBundlesAsync(BundleReservation[] bundles);

    /// <summary>Returns the bundles of placement group <paramref name="placementGroupId"/> held on this node (a
    /// reservation rolled back; the group lives on). Amounts its tenants hold of them are dropped when returned.</summary>
    [Alias("ReleaseBundles")]
    Task ReleaseBundlesAsync(Guid placementGroupId);

    /// <summary>Placement group <paramref name="placementGroupId"/> was removed (Ray's <c>remove_placement_group</c>): this
    /// runtime ends the group's work here (its queued tasks fail, its running tasks are cancelled by force, its actors are
    /// killed without restart, each with an error naming the group), refuses the group's work from now on, and gives
    /// the group's bundles here back to its free resources once no tenant holds any part of them. Completes once the
    /// group's actors here are dead. Calling it again, or on a node that holds nothing of the group, is harmless.</summary>
    /// <remarks>Always interleaved: killing the actors goes through their host grains, and the endpoint's other calls
    /// (results coming back, cancels) must not wait behind it.</remarks>
    [Alias("RemovePlacementGroup")]
    [Orleans.Concurrency.AlwaysInterleave]
    Task RemovePlacementGroupAsync(Guid placementGroupId);

    /// <summary>Backpressure of a streaming generator task this runtime owns: answers how many of its items the consumer
    /// has moved past, once that is at least <paramref name="atLeast"/> (or after a bounded wait, below Orleans' call
    /// timeout: the producer asks again); -1 when the stream is closed (the consumer finished or stopped: stop producing).</summary>
    /// <remarks>Always interleaved: an Orleans client runs its observer's calls one at a time, and a connected driver's
    /// endpoint must take the items (<see cref="DeliverResultsAsync"/>) while this question waits for them to be consumed.</remarks>
    [Alias("WaitGeneratorConsumed")]
    [Orleans.Concurrency.AlwaysInterleave]
    Task<int> WaitGeneratorConsumedAsync(TaskId taskId, int atLeast);

    /// <summary>Ray's spillback reply to a queued lease request: node <paramref name="from"/> had task
    /// <paramref name="taskId"/> (which this runtime owns) queued and suggests it run on <paramref name="suggested"/>,
    /// which has room now. The owner takes the task back and places it again itself (its record of where the task is
    /// moves with it), or tells the node to keep it.</summary>
    /// <returns>What the node does with its copy: <see cref="SpillbackAnswer.Taken"/> or
    /// <see cref="SpillbackAnswer.NotYours"/> drop it, <see cref="SpillbackAnswer.Keep"/> runs it there.</returns>
    [Alias("SpilledBack")]
    Task<SpillbackAnswer> SpilledBackAsync(NodeId from, TaskId taskId, NodeId suggested);

    /// <summary>Lines that tasks and actor calls of this driver's job printed on the sending node (Ray's
    /// <c>log_to_driver</c>): the driver prints each to its console as <c>(NAME pid=PID, ip=ADDRESS) text</c>, standard
    /// error lines to its standard error. Completes once they are printed: a node sends a driver one batch at a time, so
    /// a driver that prints slower than its tasks write makes the node drop lines and count them, never queue them
    /// without bound (ADR 0030).</summary>
    /// <remarks>Always interleaved: printing may wait on a full console pipe, and the endpoint's other calls (results
    /// coming back) must not wait behind it.</remarks>
    [Alias("PrintTaskOutput")]
    [Orleans.Concurrency.AlwaysInterleave]
    Task PrintTaskOutputAsync(TaskOutputBatch batch);

    /// <summary>Called by a driver that is about to end its job: waits until the task output this node held for
    /// <paramref name="driver"/> at the call (<see cref="PrintTaskOutputAsync"/>) has been sent to it, for at most
    /// <paramref name="deadline"/> (clamped to 0..1 minute). Lines written after the call are not waited for. A zero
    /// deadline only looks.</summary>
    /// <returns>The lines not delivered: still held (queued or on their way) when the deadline passed, else dropped
    /// and not yet told; 0 when all went out or it held none. A zero deadline returns the lines held now. The driver
    /// tells its console how many it will not print.</returns>
    [Alias("DrainTaskOutput")]
    [Orleans.Concurrency.AlwaysInterleave]
    Task<int> DrainTaskOutputAsync(WorkerId driver, TimeSpan deadline);
}

/// <summary>An owner's answer to <see cref="INodeEndpoint.SpilledBackAsync"/>.</summary>
[GenerateSerializer]
[Alias("orleansray.SpillbackAnswer")]
public enum SpillbackAnswer
{
    /// <summary>Run it where it is (the owner cannot re-place it: a placement constraint, or it is not ready to).</summary>
    Keep = 0,

    /// <summary>The owner took the task back and places it again (or it was cancelled meanwhile): drop it.</summary>
    Taken = 1,

    /// <summary>The owner's record no longer has the task on that node (it ran it again elsewhere after the node was
    /// thought dead, or finished it): drop it.</summary>
    NotYours = 2,
}
