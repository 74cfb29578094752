using System.Collections.Concurrent;

namespace OrleansRay.Ownership;

/// <summary>The owners living in this process, by worker id: lets a ref owned by another runtime of the same process
/// (several nodes in one process: tests, the bench, an application hosting two silos) be read straight from its
/// owner's table and store instead of through the owner's endpoint.</summary>
/// <remarks>One instance per process that hosts several runtimes, given to each of them (the hosting code registers
/// the same instance in each silo's services); a process with one runtime gets its own. Not a static: two
/// independent hosts in one process do not see each other's objects unless they were given the same registry.</remarks>
internal sealed class LocalOwners
{
    private readonly ConcurrentDictionary<WorkerId, ObjectReader> _owners = new();

    /// <summary>Registers the runtime <paramref name="owner"/> by its object reader (its table, store and copier).</summary>
    public void Add(WorkerId owner, ObjectReader reader) => _owners[owner] = reader;

    /// <summary>Removes a runtime that shut down.</summary>
    public void Remove(WorkerId owner) => _owners.TryRemove(owner, out _);

    /// <summary>The reader of <paramref name="owner"/> (its objects, store and copier) when that owner lives in this
    /// process.</summary>
    public bool TryGet(WorkerId owner, out ObjectReader reader) => _owners.TryGetValue(owner, out reader!);
}
