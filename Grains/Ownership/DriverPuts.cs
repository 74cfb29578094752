namespace OrleansRay.Ownership;

/// <summary>The objects that connected drivers without a store of their own put into this node's store
/// (<see cref="NodeStorePuts"/>), by driver: the driver owns them, but they live here, so when the driver is gone this
/// node frees them (Ray frees the objects of an owner that died). Each put is recorded before its bytes are sent, so a
/// driver that dies at any point leaves nothing here unrecorded (the store aborts a put whose sender stopped).</summary>
/// <remarks>A driver ends cleanly by releasing its puts (<see cref="Grains.INodeEndpoint.ReleasePutsAsync"/>); a driver
/// that was killed is released once the job table declares its job ended (<c>EndedJobs</c>, within about 15 s of its
/// last report). The driver's ordinary frees delete its objects here as everywhere (<see cref="Forget"/>), so the table
/// holds only the objects the driver still owns.</remarks>
internal sealed class DriverPuts
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

    /// <summary><paramref name="driver"/> is about to put object <paramref name="id"/> into this node's store.</summary>
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
