using System.Net;
using OrleansRay.ObjectStore.Arena;
using OrleansRay.ObjectStore.Hosting;

namespace OrleansRay.ObjectStore.Storage;

/// <summary>The object table, the arena and its allocator, eviction, spilling and restore: the store itself.</summary>
/// <remarks>
/// One lock guards the table, the allocator and the sessions; it is never held across I/O or an await.
/// Spill writes, restores and peer transfers touch the arena outside the lock and hold an arena lease
/// (<see cref="TryEnterArena"/>) so the mapping is not unmapped under them at shutdown.
/// Invariant: the allocator's used bytes equal the aligned sizes of the table rows that hold a block.
/// </remarks>
internal sealed partial class StoreCore : IAsyncDisposable
{
    private readonly object _lock = new();
    private readonly Dictionary<StoreObjectId, StoredObject> _table = new();
    private readonly Dictionary<StoreObjectId, SealWaiter> _sealWaiters = new();
    private readonly Dictionary<StoreObjectId, Task> _pulls = new();
    private readonly HashSet<StoreSession> _sessions = new();

    // Sealed objects holding a block, least recently used first; one list per kind so eviction never scans the table.
    private readonly LinkedList<StoredObject> _primaryLru = new();
    private readonly LinkedList<StoredObject> _secondaryLru = new();
    private readonly ArenaAllocator _allocator;
    private readonly string _spillDirectory;
    private readonly bool _ownsSpillDirectory;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource _arenaIdle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _memoryFreed = NewSignal();
    private Func<StoreObjectId, IPEndPoint, TimeSpan, CancellationToken, Task>? _puller;
    private long _clock;
    private long _evictions;
    private long _spills;
    private long _restores;
    private long _pullCount;
    private long _pullBytes;
    private long _sentBytes;
    private int _arenaLeases;
    private bool _disposing;

    public StoreCore(ObjectStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _ownsSpillDirectory = options.SpillDirectory is null;
        if (_ownsSpillDirectory)
        {
            StaleSpillDirectories.Remove(Path.GetTempPath());
        }

        _spillDirectory = options.SpillDirectory ?? StaleSpillDirectories.NewPath(Path.GetTempPath());
        Directory.CreateDirectory(_spillDirectory);
        Arena = ArenaMapping.Create(options.ArenaDirectory, options.Capacity, options.Prefault);
        _allocator = new ArenaAllocator(options.Capacity);
    }

    public ObjectStoreOptions Options { get; }

    public ArenaMapping Arena { get; }

    public long Capacity => _allocator.Capacity;

    public string SpillDirectory => _spillDirectory;

    /// <summary>Cancelled when the store stops.</summary>
    public CancellationToken Stopping => _shutdown.Token;

    /// <summary>Installs the peer-transfer puller (set by the hosting layer).</summary>
    public void SetPuller(Func<StoreObjectId, IPEndPoint, TimeSpan, CancellationToken, Task> puller) => _puller = puller;

    public StoreSession OpenSession(string name)
    {
        var session = new StoreSession(name);
        lock (_lock)
        {
            ThrowIfDisposing();
            _sessions.Add(session);
        }

        return session;
    }

    /// <summary>Releases every pin of the session and aborts the objects it was still writing.</summary>
    public void CloseSession(StoreSession session)
    {
        lock (_lock)
        {
            if (session.Closed)
            {
                return;
            }

            session.Closed = true;
            _sessions.Remove(session);
            CloseLeasesLocked(session);
            FreeReservedLocked(session);
            foreach (var (id, count) in session.Pins)
            {
                if (_table.TryGetValue(id, out var entry))
                {
                    entry.Pins -= count;
                    TryFinalizeLocked(entry);
                }
            }

            session.Pins.Clear();
            foreach (var id in session.Creating)
            {
                if (_table.TryGetValue(id, out var entry) && entry.Creator == session)
                {
                    RemoveLocked(entry);
                }
            }

            session.Creating.Clear();
            SignalMemoryLocked();
        }
    }

    /// <summary>Creates an unsealed object and returns the arena offset its creator writes to.</summary>
    public async ValueTask<long> CreateAsync(StoreSession session, StoreObjectId id, long size, bool primary, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (size < 0 || size > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"An object is 0..{int.MaxValue} bytes, not {size}.");
        }

        StoredObject entry;
        lock (_lock)
        {
            ThrowIfDisposing();
            ThrowIfClosed(session);
            if (_table.ContainsKey(id))
            {
                throw new ObjectAlreadyExistsException($"Object {id} already exists in the store.");
            }

            entry = new StoredObject(id, size, primary) { State = ObjectState.Created, Creator = session, LastUse = ++_clock };
            _table.Add(id, entry);
            ForgetDeletedLocked(id);
            session.Creating.Add(id);
        }

        try
        {
            await AllocateAsync(entry, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            lock (_lock)
            {
                if (_table.TryGetValue(id, out var current) && current == entry)
                {
                    RemoveLocked(entry);
                }

                session.Creating.Remove(id);
            }

            throw;
        }

        return entry.Offset;
    }

    /// <summary>Creates, fills and seals a small object in one step.</summary>
    public async ValueTask PutAsync(StoreSession session, StoreObjectId id, ReadOnlyMemory<byte> data, bool primary, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var offset = await CreateAsync(session, id, data.Length, primary, timeout, cancellationToken).ConfigureAwait(false);
        try
        {
            data.Span.CopyTo(Arena.GetSpan(offset, data.Length));
        }
        catch
        {
            Abort(session, id);
            throw;
        }

        Seal(session, id);
    }

    public void Seal(StoreSession session, StoreObjectId id)
    {
        lock (_lock)
        {
            ThrowIfDisposing();
            var entry = GetCreatingLocked(session, id, "seal");
            entry.State = ObjectState.Sealed;
            entry.Creator = null;
            entry.LastUse = ++_clock;
            AddToLruLocked(entry);
            session.Creating.Remove(id);
            if (_sealWaiters.Remove(id, out var waiter))
            {
                waiter.Signal.TrySetResult();
            }

            SignalMemoryLocked();
            TryFinalizeLocked(entry);
        }
    }

    /// <summary>Abandons an object its creator has not sealed, freeing its block.</summary>
    public void Abort(StoreSession session, StoreObjectId id)
    {
        lock (_lock)
        {
            var entry = GetCreatingLocked(session, id, "abort");
            session.Creating.Remove(id);
            RemoveLocked(entry);
            SignalMemoryLocked();
        }
    }

    /// <summary>Waits until each object is sealed (restoring spilled ones) or the timeout passes; pins and returns those found.</summary>
    public async ValueTask<ObjectLocation?[]> GetAsync(StoreSession session, IReadOnlyList<StoreObjectId> ids, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Deadline.After(timeout);
        var results = new ObjectLocation?[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            results[i] = await GetOneAsync(session, ids[i], deadline, cancellationToken).ConfigureAwait(false);
        }

        return results;
    }

    public void Release(StoreSession session, StoreObjectId id)
    {
        lock (_lock)
        {
            if (!session.Pins.TryGetValue(id, out var count))
            {
                throw new InvalidOperationException($"Object {id} is not pinned by this client.");
            }

            if (count == 1)
            {
                session.Pins.Remove(id);
            }
            else
            {
                session.Pins[id] = count - 1;
            }

            if (_table.TryGetValue(id, out var entry))
            {
                entry.Pins--;
                if (entry.Pins == 0)
                {
                    SignalMemoryLocked();
                }

                TryFinalizeLocked(entry);
            }
        }
    }

    /// <summary>Deletes objects (deferred while pinned, being written, spilled or restored); returns how many were present.</summary>
    public int Delete(IReadOnlyList<StoreObjectId> ids)
    {
        var deleted = 0;
        lock (_lock)
        {
            ThrowIfDisposing();
            foreach (var id in ids)
            {
                if (_table.TryGetValue(id, out var entry) && !entry.Deleted)
                {
                    entry.Deleted = true;
                    deleted++;
                    RememberDeletedLocked(id);
                    RevokeLeasesLocked(entry);
                    TryFinalizeLocked(entry);
                }
            }
        }

        return deleted;
    }

    /// <summary>True when the object is sealed here (in memory or spilled).</summary>
    public bool Contains(StoreObjectId id)
    {
        lock (_lock)
        {
            return _table.TryGetValue(id, out var entry) && !entry.Deleted && entry.State != ObjectState.Created;
        }
    }

    /// <summary>Where each object is now: in memory, spilled to disk, or absent (unknown here, deleted, or not sealed yet).
    /// A read-only look at the table under its lock: it neither restores nor pins anything.</summary>
    public ObjectResidency[] Residency(IReadOnlyList<StoreObjectId> ids)
    {
        var answer = new ObjectResidency[ids.Count];
        lock (_lock)
        {
            for (var i = 0; i < answer.Length; i++)
            {
                answer[i] = !_table.TryGetValue(ids[i], out var entry) || entry.Deleted ? ObjectResidency.Absent
                    : entry.State switch
                    {
                        ObjectState.Sealed => ObjectResidency.InMemory,
                        ObjectState.Spilled => ObjectResidency.Spilled,
                        _ => ObjectResidency.Absent,
                    };
            }
        }

        return answer;
    }

    /// <summary>Pulls an object from a peer store into this one as a secondary copy; concurrent pulls of one id share one transfer.</summary>
    public Task PullAsync(StoreObjectId id, IPEndPoint remote, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        var puller = _puller ?? throw new InvalidOperationException("This store has no peer-transfer puller.");
        Task pull;
        lock (_lock)
        {
            ThrowIfDisposing();
            if (_table.TryGetValue(id, out var entry) && !entry.Deleted && entry.State != ObjectState.Created)
            {
                return Task.CompletedTask;
            }

            if (!_pulls.TryGetValue(id, out var existing))
            {
                existing = RunPullAsync(puller, id, remote, timeout);
                _pulls[id] = existing;
            }

            pull = existing;
        }

        return pull.WaitAsync(cancellationToken);
    }

    public ObjectStoreStats GetStats()
    {
        lock (_lock)
        {
            long tableBlocks = 0, spilledBytes = 0, totalPins = 0;
            int count = 0, inMemory = 0, unsealed = 0, spilled = 0, pinned = 0, primaries = 0;
            foreach (var entry in _table.Values)
            {
                if (entry.Block >= 0)
                {
                    tableBlocks += ArenaAllocator.AlignedSize(entry.Size);
                }

                var pins = entry.Pins - IdleLeaseCount(entry); // an idle read lease is a cache entry, not a reader
                totalPins += pins;
                pinned += pins > 0 ? 1 : 0;
                if (entry.Deleted)
                {
                    continue;
                }

                count++;
                primaries += entry.IsPrimary ? 1 : 0;
                switch (entry.State)
                {
                    case ObjectState.Created:
                        unsealed++;
                        break;
                    case ObjectState.Sealed:
                        inMemory++;
                        break;
                    case ObjectState.Spilled:
                        spilled++;
                        spilledBytes += entry.Size;
                        break;
                }
            }

            tableBlocks += ReservedBytesLocked(); // reserved for write-behind puts: used, owned by a session
            return new ObjectStoreStats
            {
                Capacity = _allocator.Capacity,
                UsedBytes = _allocator.UsedBytes,
                TableBlockBytes = tableBlocks,
                FreeListBytes = _allocator.SumFreeBlocks(),
                LargestFreeBlock = _allocator.LargestFreeBlock,
                FreeBlockCount = _allocator.FreeBlockCount,
                ObjectCount = count,
                SealedInMemoryCount = inMemory,
                UnsealedCount = unsealed,
                SpilledCount = spilled,
                SpilledBytes = spilledBytes,
                PinnedCount = pinned,
                TotalPins = totalPins,
                EvictionCount = _evictions,
                SpillCount = _spills,
                RestoreCount = _restores,
                PullCount = Interlocked.Read(ref _pullCount),
                PullBytesReceived = Interlocked.Read(ref _pullBytes),
                TransferBytesSent = Interlocked.Read(ref _sentBytes),
                SessionCount = _sessions.Count,
                PrimaryCount = primaries,
            };
        }
    }

    /// <summary>The state of an object, or null when absent (for tests).</summary>
    public ObjectState? StateOf(StoreObjectId id)
    {
        lock (_lock)
        {
            return _table.TryGetValue(id, out var entry) ? entry.State : null;
        }
    }

    /// <summary>Ids with gets waiting for their seal (for tests: absent ids must not accumulate).</summary>
    public int SealWaiterCount
    {
        get
        {
            lock (_lock)
            {
                return _sealWaiters.Count;
            }
        }
    }

    public void AddPullBytes(long bytes) => Interlocked.Add(ref _pullBytes, bytes);

    public void AddSentBytes(long bytes) => Interlocked.Add(ref _sentBytes, bytes);

    /// <summary>Takes a lease that keeps the arena mapped; false once the store is stopping.</summary>
    public bool TryEnterArena()
    {
        lock (_lock)
        {
            if (_disposing)
            {
                return false;
            }

            _arenaLeases++;
            return true;
        }
    }

    public void ExitArena()
    {
        lock (_lock)
        {
            _arenaLeases--;
            if (_disposing && _arenaLeases == 0)
            {
                _arenaIdle.TrySetResult();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<SealWaiter> waiters;
        lock (_lock)
        {
            if (_disposing)
            {
                return;
            }

            _disposing = true;
            waiters = _sealWaiters.Values.ToList();
            _sealWaiters.Clear();
            _memoryFreed.TrySetResult();
            if (_arenaLeases == 0)
            {
                _arenaIdle.TrySetResult();
            }
        }

        await _shutdown.CancelAsync().ConfigureAwait(false);
        foreach (var waiter in waiters)
        {
            waiter.Signal.TrySetException(new ObjectDisposedException(nameof(StoreCore), "The object store stopped."));
        }

        // Spill writes and transfers observe the cancellation; wait for them before unmapping the arena under them.
        await _arenaIdle.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        Arena.Dispose();
        DeleteSpillFiles();
        _shutdown.Dispose();
    }

    private async ValueTask<ObjectLocation?> GetOneAsync(StoreSession session, StoreObjectId id, Deadline deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            SealWaiter? waiter = null;
            lock (_lock)
            {
                ThrowIfDisposing();
                ThrowIfClosed(session);
                if (_table.TryGetValue(id, out var entry) && !entry.Deleted)
                {
                    if (entry.IsReadable)
                    {
                        return PinForReadLocked(session, entry);
                    }

                    if (entry.State == ObjectState.Spilled)
                    {
                        wait = entry.Restoring ??= Task.Run(() => RestoreAsync(entry));
                    }
                    else
                    {
                        waiter = JoinSealWaiterLocked(id);
                        wait = waiter.Signal.Task;
                    }
                }
                else if (entry is null && WasDeletedLocked(id))
                {
                    // Freed here, and gone: no seal is coming. A deleted copy still here (pinned by a reader) is waited
                    // past as before: a retry's or a rebuild's new copy of the same id replaces it once it goes.
                    return null;
                }
                else
                {
                    waiter = JoinSealWaiterLocked(id);
                    wait = waiter.Signal.Task;
                }
            }

            try
            {
                var remaining = deadline.Remaining;
                if (remaining == TimeSpan.Zero)
                {
                    return null;
                }

                await wait.WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return null;
            }
            finally
            {
                if (waiter is not null)
                {
                    LeaveSealWaiter(id, waiter);
                }
            }
        }
    }

    private async Task RestoreAsync(StoredObject entry)
    {
        var leased = false;
        try
        {
            await AllocateAsync(entry, Options.CreateTimeout, _shutdown.Token).ConfigureAwait(false);
            leased = TryEnterArena();
            if (!leased)
            {
                throw new ObjectDisposedException(nameof(StoreCore), "The object store stopped.");
            }

            var path = entry.SpillPath!;
            using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read))
            {
                var span = Arena.GetSpan(entry.Block, (int)entry.Size);
                var read = 0;
                while (read < span.Length)
                {
                    var n = RandomAccess.Read(handle, span[read..], read);
                    if (n <= 0)
                    {
                        throw new ObjectStoreException($"The spill file of object {entry.Id} ({path}) is shorter than the object.");
                    }

                    read += n;
                }
            }

            lock (_lock)
            {
                entry.State = ObjectState.Sealed;
                entry.SpillPath = null;
                entry.Restoring = null;
                entry.LastUse = ++_clock;
                AddToLruLocked(entry);
                _restores++;
                SignalMemoryLocked();
                TryFinalizeLocked(entry);
            }

            File.Delete(path);
        }
        catch
        {
            lock (_lock)
            {
                if (entry.Block >= 0 && entry.State == ObjectState.Spilled)
                {
                    FreeBlockLocked(entry);
                }

                entry.Restoring = null;
                TryFinalizeLocked(entry);
            }

            throw;
        }
        finally
        {
            if (leased)
            {
                ExitArena();
            }
        }
    }

    /// <summary>Gives <paramref name="target"/> a block, evicting secondary copies and spilling primary ones as needed.</summary>
    private async ValueTask AllocateAsync(StoredObject target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (target.Size == 0)
        {
            return;
        }

        if (ArenaAllocator.AlignedSize(target.Size) > _allocator.Capacity)
        {
            throw ObjectStoreFullException.TooLarge(target.Size, _allocator.Capacity);
        }

        var deadline = Deadline.After(timeout);
        while (true)
        {
            Task? spill = null;
            Task wait;
            lock (_lock)
            {
                ThrowIfDisposing();
                if (!_table.TryGetValue(target.Id, out var current) || current != target)
                {
                    throw new ObjectStoreException($"Object {target.Id} was aborted while waiting for room.");
                }

                if (TryAllocateLocked(target))
                {
                    return;
                }

                // Secondary copies first: another node still has the object.
                while (FindLruLocked(primary: false) is { } victim)
                {
                    RemoveLocked(victim);
                    _evictions++;
                    if (TryAllocateLocked(target))
                    {
                        return;
                    }
                }

                if (FindLruLocked(primary: true) is { } candidate)
                {
                    candidate.Spilling = true;
                    spill = Task.Run(() => SpillAsync(candidate));
                }

                wait = _memoryFreed.Task;
            }

            if (spill is not null)
            {
                await spill.ConfigureAwait(false);
                continue;
            }

            var remaining = deadline.Remaining;
            try
            {
                if (remaining == TimeSpan.Zero)
                {
                    throw new TimeoutException();
                }

                await wait.WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw ObjectStoreFullException.Create(target.Size, _allocator.Capacity, PinnedBytes(), timeout);
            }
        }
    }

    private async Task SpillAsync(StoredObject entry)
    {
        var path = Path.Combine(_spillDirectory, $"{entry.Id}.spill");
        var leased = TryEnterArena();
        try
        {
            if (!leased)
            {
                throw new ObjectDisposedException(nameof(StoreCore), "The object store stopped.");
            }

            using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.None, entry.Size);
            RandomAccess.Write(handle, Arena.GetSpan(entry.Block, (int)entry.Size), 0);
        }
        catch (Exception ex)
        {
            lock (_lock)
            {
                entry.Spilling = false;
                TryFinalizeLocked(entry);
            }

            TryDeleteFile(path);
            throw new ObjectStoreException($"Spilling object {entry.Id} ({entry.Size} bytes) to '{_spillDirectory}' failed: {ex.Message}", ex);
        }
        finally
        {
            if (leased)
            {
                ExitArena();
            }
        }

        var keep = false;
        lock (_lock)
        {
            entry.Spilling = false;
            if (!entry.Deleted && entry.Pins == 0)
            {
                FreeBlockLocked(entry);
                entry.State = ObjectState.Spilled;
                entry.SpillPath = path;
                keep = true;
                _spills++;
                SignalMemoryLocked();
            }
            else
            {
                // Deleted or read while it was written out: the memory copy stays authoritative.
                TryFinalizeLocked(entry);
            }
        }

        if (!keep)
        {
            TryDeleteFile(path);
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    private async Task RunPullAsync(Func<StoreObjectId, IPEndPoint, TimeSpan, CancellationToken, Task> puller, StoreObjectId id, IPEndPoint remote, TimeSpan timeout)
    {
        await Task.Yield();
        try
        {
            await puller(id, remote, timeout, _shutdown.Token).ConfigureAwait(false);
            Interlocked.Increment(ref _pullCount);
        }
        finally
        {
            lock (_lock)
            {
                _pulls.Remove(id);
            }
        }
    }

    private bool TryAllocateLocked(StoredObject target)
    {
        if (!_allocator.TryAllocate(target.Size, out var offset))
        {
            return false;
        }

        target.Block = offset;
        return true;
    }

    private StoredObject? FindLruLocked(bool primary)
    {
        // Pinned or busy objects are skipped; they are few next to the evictable ones. Each node is seen at most once:
        // a leased object being read moves to the back (second chance), so the scan must not follow it there.
        var list = primary ? _primaryLru : _secondaryLru;
        var node = list.First;
        for (var remaining = list.Count; remaining > 0 && node is not null; remaining--)
        {
            var next = node.Next;
            var entry = node.Value;
            if (entry.IsEvictable)
            {
                return entry;
            }

            if (HoldsOnlyLeases(entry))
            {
                // Only idle leases are revoked (docs/adr/0020): an object someone reads through its lease is in use.
                if (IdleLeaseCount(entry) == entry.Leases!.Count)
                {
                    if (RevokeLeasesLocked(entry) && entry.IsEvictable)
                    {
                        return entry;
                    }
                }
                else
                {
                    TouchLocked(entry); // lease reads never reach the store: a live reader is its sign of use
                }
            }

            node = next;
        }

        // Nothing else to evict: revoke the busy leases too. Their objects stay while read (like pins), but a revoked
        // lease's last reader tells the store when it goes (an unrevoked one drops silently), which wakes a waiting create.
        for (node = list.First; node is not null; node = node.Next)
        {
            if (HoldsOnlyLeases(node.Value) && RevokeLeasesLocked(node.Value) && node.Value.IsEvictable)
            {
                return node.Value;
            }
        }

        return null;
    }

    private void AddToLruLocked(StoredObject entry)
    {
        if (entry.Block >= 0 && entry.LruNode is null)
        {
            entry.LruNode = (entry.IsPrimary ? _primaryLru : _secondaryLru).AddLast(entry);
        }
    }

    private void TouchLocked(StoredObject entry)
    {
        entry.LastUse = ++_clock;
        if (entry.LruNode is { } node)
        {
            var list = node.List!;
            list.Remove(node);
            list.AddLast(node);
        }
    }

    private void PinLocked(StoreSession session, StoredObject entry)
    {
        entry.Pins++;
        TouchLocked(entry);
        session.Pins[entry.Id] = session.Pins.TryGetValue(entry.Id, out var count) ? count + 1 : 1;
    }

    private StoredObject GetCreatingLocked(StoreSession session, StoreObjectId id, string operation)
    {
        if (!_table.TryGetValue(id, out var entry))
        {
            throw new KeyNotFoundException($"Cannot {operation} object {id}: it does not exist.");
        }

        if (entry.State != ObjectState.Created || entry.Creator != session)
        {
            throw new InvalidOperationException($"Cannot {operation} object {id}: it is not being created by this client.");
        }

        return entry;
    }

    private SealWaiter JoinSealWaiterLocked(StoreObjectId id)
    {
        if (!_sealWaiters.TryGetValue(id, out var waiter))
        {
            waiter = new SealWaiter();
            _sealWaiters.Add(id, waiter);
        }

        waiter.Waiters++;
        return waiter;
    }

    private void LeaveSealWaiter(StoreObjectId id, SealWaiter waiter)
    {
        lock (_lock)
        {
            waiter.Waiters--;
            if (waiter.Waiters == 0 && _sealWaiters.TryGetValue(id, out var current) && current == waiter)
            {
                _sealWaiters.Remove(id);
            }
        }
    }

    private void TryFinalizeLocked(StoredObject entry)
    {
        if (entry.Deleted && entry.Pins == 0 && !entry.Spilling && entry.Restoring is null && entry.State != ObjectState.Created
            && _table.TryGetValue(entry.Id, out var current) && current == entry)
        {
            RemoveLocked(entry);
        }
    }

    private void RemoveLocked(StoredObject entry)
    {
        _table.Remove(entry.Id);
        if (entry.Block >= 0)
        {
            FreeBlockLocked(entry);
        }

        if (entry.SpillPath is { } path)
        {
            entry.SpillPath = null;
            TryDeleteFile(path);
        }

        SignalMemoryLocked();
    }

    private void FreeBlockLocked(StoredObject entry)
    {
        if (entry.LruNode is { } node)
        {
            node.List!.Remove(node);
            entry.LruNode = null;
        }

        _allocator.Free(entry.Block, entry.Size);
        entry.Block = -1;
    }

    private void SignalMemoryLocked()
    {
        var previous = _memoryFreed;
        _memoryFreed = NewSignal();
        previous.TrySetResult();
    }

    private long PinnedBytes()
    {
        lock (_lock)
        {
            long bytes = 0;
            foreach (var entry in _table.Values)
            {
                if (entry.Block >= 0 && (entry.Pins > 0 || entry.State == ObjectState.Created || entry.Restoring is not null))
                {
                    bytes += entry.Size;
                }
            }

            return bytes;
        }
    }

    private void ThrowIfDisposing()
    {
        if (_disposing)
        {
            throw new ObjectDisposedException(nameof(StoreCore), "The object store stopped.");
        }
    }

    private static void ThrowIfClosed(StoreSession session)
    {
        if (session.Closed)
        {
            throw new ObjectDisposedException(session.Name, "The client's session with the store is closed.");
        }
    }

    private void DeleteSpillFiles()
    {
        try
        {
            if (_ownsSpillDirectory)
            {
                Directory.Delete(_spillDirectory, recursive: true);
                return;
            }

            foreach (var file in Directory.EnumerateFiles(_spillDirectory, "*.spill"))
            {
                TryDeleteFile(file);
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Removed by someone else already: nothing left to clean.
        }
    }

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // A spill file that cannot be removed only costs disk; the table no longer refers to it.
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
