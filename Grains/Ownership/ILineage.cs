namespace OrleansRay.Ownership;

/// <summary>The task that made an object, able to run again to rebuild it (Ray's lineage reconstruction).</summary>
internal interface ILineage
{
    /// <summary>What made the object, for messages ("task Square").</summary>
    string Description { get; }

    /// <summary>The task's arguments: the objects among them are what a rerun needs (their lineage is kept with
    /// this one: <see cref="ObjectEntry.LineageRefs"/>).</summary>
    TaskArg[] Arguments { get; }

    /// <summary>Lets go of the ref handles the task held for its arguments owned by <paramref name="table"/> (the task
    /// has run; their entries stay while this lineage counts them, their values may go).</summary>
    void ReleaseArgumentHandles(ObjectTable table);

    /// <summary>True while the task could run again (not cancelled, retries left): only then may a value that only
    /// lineage needs be released (<see cref="ObjectEntry.ReleaseValue"/>).</summary>
    bool CanRerun { get; }

    /// <summary>Runs the task again; its result entry was made pending already
    /// (<see cref="ObjectEntry.TryRestart"/>). Each run counts against the task's retries.</summary>
    /// <param name="reason">Why it cannot run again (its retries are used up), when it returns false.</param>
    bool TryRerun(out string reason);
}

/// <summary>How an object came to be: whether it can be rebuilt when every copy of it is lost.</summary>
internal enum ObjectOrigin
{
    /// <summary>The result of an actor call (not rebuilt: the actor's state moved on).</summary>
    ActorCall,

    /// <summary>The result of a task (rebuilt from its lineage while its retries last).</summary>
    Task,

    /// <summary>Put by a driver or a task (<c>PutAsync</c>: no task to run again).</summary>
    Put,

    /// <summary>An item of a streaming generator task (not rebuilt from lineage yet, ADR 0013); shown as a task's result.</summary>
    GeneratorItem,

    /// <summary>An item of an actor generator (a streaming actor call; not rebuilt); shown as an actor call's result.</summary>
    ActorGeneratorItem,
}
