namespace OrleansRay;

/// <summary>One task as the state API lists it (Ray's <c>ray list tasks</c> row): a pending or running task, or a
/// finished one from its node's bounded event log.</summary>
/// <param name="TaskId">The task's id.</param>
/// <param name="Name">The function's display name ("Type.Method"), or the task's name from TaskOptions.Name.</param>
/// <param name="State">Ray's task state: <c>PENDING_ARGS_AVAIL</c> (waiting for its object arguments),
/// <c>PENDING_NODE_ASSIGNMENT</c> (queued for resources or a placement), <c>SUBMITTED_TO_WORKER</c> (leased to a worker
/// that has not started it yet), <c>RUNNING</c> (started: it has a start time), <c>FINISHED</c> or <c>FAILED</c>.</param>
/// <param name="Node">The node that runs or ran it; empty when none was chosen yet (or it could not be placed).</param>
/// <param name="Attempt">The attempt number, 0 for the first run (Ray's <c>attempt_number</c>); for a finished task the
/// attempt that finished it, as its node counted them; -1 when not known.</param>
/// <param name="Resources">The resources it asks for, as "{CPU: 1}"; empty for finished tasks.</param>
/// <param name="StartedAt">When the run started; null while pending.</param>
/// <param name="EndedAt">When it finished; null while pending or running.</param>
/// <param name="DurationMs">How long the run took in milliseconds; null until it finished.</param>
/// <param name="ErrorType">For a <c>FAILED</c> task: the exception's full type name (Ray's <c>error_type</c>); null otherwise.</param>
/// <param name="ErrorMessage">For a <c>FAILED</c> task: the exception's message; null otherwise.</param>
[GenerateSerializer, Immutable, Alias("orleansray.taskstaterow")]
public sealed record TaskStateRow(
    [property: Id(0)] string TaskId,
    [property: Id(1)] string Name,
    [property: Id(2)] string State,
    [property: Id(3)] string Node,
    [property: Id(4)] int Attempt,
    [property: Id(5)] string Resources,
    [property: Id(6)] DateTimeOffset? StartedAt,
    [property: Id(7)] DateTimeOffset? EndedAt,
    [property: Id(8)] double? DurationMs,
    [property: Id(9)] string? ErrorType,
    [property: Id(10)] string? ErrorMessage)
{
    /// <summary>The job the task belongs to (Ray's <c>job_id</c>), as <c>list jobs</c> shows it: its driver's job, also
    /// for tasks nested in its tasks. Empty for work of no job (a detached actor's) or of a job the job table no longer
    /// lists.</summary>
    /// <remarks>Nodes know a job by its driver's worker id and send that here; the state API replaces it by the job's id.</remarks>
    [Id(11)] public string JobId { get; init; } = string.Empty;
}

/// <summary>One actor as the state API lists it (Ray's <c>ray list actors</c> row).</summary>
/// <param name="ActorId">The actor's id.</param>
/// <param name="ClassName">Its class (or grain interface).</param>
/// <param name="Name">Its name; empty for an unnamed actor.</param>
/// <param name="Namespace">The namespace of its name.</param>
/// <param name="State">Ray's actor state: <c>PENDING</c>, <c>ALIVE</c>, <c>RESTARTING</c> or <c>DEAD</c>.</param>
/// <param name="Node">The node hosting it; empty when none does.</param>
/// <param name="Restarts">How often it was restarted.</param>
/// <param name="Detached">True for a detached actor (Ray's <c>lifetime="detached"</c>): it outlives its driver.</param>
/// <param name="PendingCalls">Calls waiting for it on its node; null when no node hosts it.</param>
/// <param name="CallsRun">Calls it ran; null when no node hosts it.</param>
[GenerateSerializer, Immutable, Alias("orleansray.actorstaterow")]
public sealed record ActorStateRow(
    [property: Id(0)] string ActorId,
    [property: Id(1)] string ClassName,
    [property: Id(2)] string Name,
    [property: Id(3)] string Namespace,
    [property: Id(4)] string State,
    [property: Id(5)] string Node,
    [property: Id(6)] int Restarts,
    [property: Id(7)] bool Detached,
    [property: Id(8)] int? PendingCalls,
    [property: Id(9)] long? CallsRun)
{
    /// <summary>The job that created the actor (Ray's <c>job_id</c>), as <c>list jobs</c> shows it: also for an actor
    /// created inside that job's tasks or actors. Empty for a detached actor, one no node hosts, or one of a job the job
    /// table no longer lists.</summary>
    /// <remarks>Nodes know a job by its driver's worker id and send that here; the state API replaces it by the job's id.</remarks>
    [Id(10)] public string JobId { get; init; } = string.Empty;
}

/// <summary>One object as the state API and <c>memory</c> list it (Ray's <c>ray list objects</c> / <c>ray memory</c> row):
/// its owner's record of it.</summary>
/// <param name="ObjectId">The object's id.</param>
/// <param name="Owner">The runtime that owns it (a node, or a connected driver): Ray's owner address.</param>
/// <param name="Status">Ray's <c>task_status</c> of what makes it: <c>PENDING</c> (its task or call is not done),
/// <c>FINISHED</c> or <c>FAILED</c>.</param>
/// <param name="ReferenceType">Why it is alive, in Ray's terms as far as the owner knows them: <c>LOCAL_REFERENCE</c>
/// (ObjectRefs to it live, in the owner's process or a borrower's), <c>USED_BY_PENDING_TASK</c> (no ref, kept because a
/// task's lineage needs it as an argument) or <c>PINNED_IN_MEMORY</c> (no ref, its value still held while it settles).
/// Ray's <c>CAPTURED_IN_OBJECT</c> is counted as a handle (<c>LOCAL_REFERENCE</c>).</param>
/// <param name="Origin">How it came to be: <c>TASK</c> (a task's return), <c>ACTOR_CALL</c> or <c>PUT</c>.</param>
/// <param name="SizeBytes">Bytes in the object store for a stored value; -1 for an inline value (below the 100 KiB
/// threshold, kept in the owner's memory) or an object not produced yet.</param>
/// <param name="Location">Where the value lives: <c>INLINE</c> (owner's memory), <c>STORE</c> (a node's object store,
/// see <paramref name="StoreNode"/>) or <c>NONE</c> (pending, failed or released).</param>
/// <param name="StoreNode">The node whose object store holds the primary copy; empty when not stored.</param>
/// <param name="Spilled">For a stored object: true when its holder store (<paramref name="StoreNode"/>'s) has spilled its
/// primary copy to disk now, false when the copy is in memory, as that store answered when the state was read (Ray's
/// <c>ray memory</c> spilled column). Null when not stored (inline, pending, failed, released), when the holder node is
/// gone or no longer holds it, or when it did not answer in time (a warning says so).</param>
/// <param name="Handles">ObjectRefs alive for it (in the owner's process, plus one per borrowing process).</param>
[GenerateSerializer, Immutable, Alias("orleansray.objectstaterow")]
public sealed record ObjectStateRow(
    [property: Id(0)] string ObjectId,
    [property: Id(1)] string Owner,
    [property: Id(2)] string Status,
    [property: Id(3)] string ReferenceType,
    [property: Id(4)] string Origin,
    [property: Id(5)] long SizeBytes,
    [property: Id(6)] string Location,
    [property: Id(7)] string StoreNode,
    [property: Id(8)] bool? Spilled,
    [property: Id(9)] int Handles);

/// <summary>One group of a summary (Ray's <c>ray summary</c>): how many of the listed kind, by key and state.</summary>
/// <param name="Key">What is summarized by: a task's function name, an actor's class, an object's reference type.</param>
/// <param name="State">The state (a task's or actor's state, an object's status).</param>
/// <param name="Count">How many.</param>
/// <param name="Bytes">For objects: the stored bytes of the group; 0 otherwise.</param>
[GenerateSerializer, Immutable, Alias("orleansray.statesummaryrow")]
public sealed record StateSummaryRow(
    [property: Id(0)] string Key,
    [property: Id(1)] string State,
    [property: Id(2)] long Count,
    [property: Id(3)] long Bytes);
