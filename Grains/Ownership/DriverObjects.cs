namespace OrleansRay.Ownership;

/// <summary>The objects in this node's store that connected drivers own, by driver: what a driver without a store of
/// its own put here (<see cref="NodeStorePuts"/>), and the large results of tasks a driver submitted that ran here
/// (<c>OwnerReplies</c>, for a task sent with <see cref="RemoteTask.DriverOwned"/>). The driver owns them, but they live
/// here, so when the driver is gone this node frees them (Ray frees the objects of an owner that died: they are lost to
/// everyone, borrowers included, so nothing may still need them). A put is recorded before its bytes are sent, so a
/// driver that dies at any point leaves nothing here unrecorded (the store aborts a put whose sender stopped); a result
/// is recorded once it is stored, before it is sent to its owner.</summary>
/// <remarks>A driver ends cleanly by releasing its objects (<see cref="Grains.INodeEndpoint.ReleasePutsAsync"/>, from
/// the node it put through), and every node frees them once the job table shows its job ended (<c>EndedJobs</c>: within
/// about a second of a clean end, about 15 s after a killed driver's last report). The driver's ordinary frees delete
/// its objects here as everywhere (<see cref="Forget"/>), so the table holds only the objects the driver still owns
/// and this node still stores: nothing is recorded for small (inline) results, nor for objects of tasks' and actors'
/// own tasks (their owner is a node, which frees them itself).</remarks>
internal sealed class DriverObjects
{
    private readonly object _lock = new();
    private readonly Dictionary<WorkerId, HashSet<ObjectId>> _byDriver = new();
    private readonly Dictionary<ObjectId, WorkerId> _driverOf = new();

    /// <summary>The number of drivers with objects recorded here.</summary>
    public int DriverCount
    {
        get
        {
            lock (_lock)
            {
                return _byDriver.Count;
            }
        }
    }

    /// <summary>The objects recorded for <paramref name="driver"/> (a snapshot, for tests and reports).</summary>
    public IReadOnlyList<ObjectId> Of(WorkerId driver)
    {
        lock (_lock)
        {
            return _byDriver.TryGetValue(driver, out var ids) ? ids.ToList() : [];
        }
    }

    /// <summary><paramref name="driver"/> owns object <paramref name="id"/> in this node's store (it is about to put it,
    /// or this node stored a result of its task).</summary>
    public void Record(WorkerId driver, ObjectId id)
    {
        lock (_lock)
        {
            if (_driverOf.TryGetValue(id, out var known))
            {
                if (known == driver)
                {
                    return;
                }

                Remove(id, known);
            }

            if (!_byDriver.TryGetValue(driver, out var ids))
            {
                _byDriver[driver] = ids = new HashSet<ObjectId>();
            }

            ids.Add(id);
            _driverOf[id] = driver;
        }
    }

    /// <summary>The owners freed <paramref name="ids"/> (their copies here are being deleted): no longer recorded.</summary>
    public void Forget(ObjectId[] ids)
    {
        lock (_lock)
        {
            if (_driverOf.Count == 0)
            {
                return;
            }

            foreach (var id in ids)
            {
                if (_driverOf.TryGetValue(id, out var driver))
                {
                    Remove(id, driver);
                }
            }
        }
    }

    /// <summary>Takes every object recorded for <paramref name="drivers"/>, which are gone: the caller deletes them
    /// from the store.</summary>
    public List<ObjectId> Release(IEnumerable<WorkerId> drivers)
    {
        var released = new List<ObjectId>();
        lock (_lock)
        {
            if (_byDriver.Count == 0)
            {
                return released;
            }

            foreach (var driver in drivers)
            {
                if (_byDriver.Remove(driver, out var ids))
                {
                    foreach (var id in ids)
                    {
                        _driverOf.Remove(id);
                    }

                    released.AddRange(ids);
                }
            }
        }

        return released;
    }

    /// <summary>Deletes from <paramref name="store"/> every object recorded for <paramref name="drivers"/>; returns how many.</summary>
    public int Free(IEnumerable<WorkerId> drivers, LocalObjectStore? store)
    {
        var released = Release(drivers);
        if (store is not null)
        {
            foreach (var id in released)
            {
                store.Delete(LocalObjectStore.ToStoreId(id));
            }
        }

        return released.Count;
    }

    private void Remove(ObjectId id, WorkerId driver)
    {
        _driverOf.Remove(id);
        if (_byDriver.TryGetValue(driver, out var ids) && ids.Remove(id) && ids.Count == 0)
        {
            _byDriver.Remove(driver);
        }
    }
}
