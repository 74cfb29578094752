using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>The code package references and their collection; see <see cref="ICodePackageReferencesGrain"/>.</summary>
/// <remarks>
/// <para>Collection runs on a grain timer that exists only while the table has packages (and keeps the activation
/// alive only then): a cluster whose drivers ship no code never pays for it, and an idle table's activation goes as any
/// idle grain (docs/adr/0029-code-package-collection.md says why not a reminder). Each tick asks the job table once which
/// referencing jobs still run, and, only when some package has no job left, the actor table's shards which of those
/// packages a live detached actor uses.</para>
/// <para>Not reentrant, and the timer does not interleave: a reference added during a collection waits for it, and a
/// collection never runs between a driver's reference and its upload.</para>
/// </remarks>
[HeadPlacement]
[GrainType("orleansray.codepackagereferences")] // not Orleans' default "codepackagereferences": an application grain class of that name would clash (hosting)
internal sealed partial class CodePackageReferencesGrain : Grain, ICodePackageReferencesGrain
{
    private readonly PersistedRows<CodePackageTable> _stored;
    private readonly TimeSpan _grace;
    private readonly TimeProvider _time;
    private readonly ILogger<CodePackageReferencesGrain> _logger;
    private CodePackageTable _table = new();
    private IGrainTimer? _timer;

    public CodePackageReferencesGrain(
        [PersistentState("codepackages", ControlStoreStorage.Name)] IPersistentState<SerializedRows> state,
        Serializer serializer,
        IOptions<ControlStoreOptions> options,
        ILogger<CodePackageReferencesGrain> logger)
    {
        _stored = new PersistedRows<CodePackageTable>(state, serializer, logger, "code package references");
        _grace = options.Value.CodePackageGrace;
        _time = TimeProvider.System;
        _logger = logger;
    }

    /// <summary>How often the table looks for references that ended: a quarter of the grace (so a package goes at most a
    /// quarter late), at least every minute, at most every 100 ms (tests' graces are short).</summary>
    private TimeSpan Period => TimeSpan.FromTicks(Math.Clamp(_grace.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromMinutes(1).Ticks));

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _table = _stored.Load() ?? new CodePackageTable();
        WatchWhileReferenced();
        return Task.CompletedTask;
    }

    public async Task AddReferenceAsync(string packageId, string driver, string[] files)
    {
        CheckHash(packageId, nameof(packageId));
        ArgumentException.ThrowIfNullOrWhiteSpace(driver);
        ArgumentNullException.ThrowIfNull(files);
        foreach (var file in files)
        {
            CheckHash(file, nameof(files));
        }

        if (!_table.Packages.TryGetValue(packageId, out var row))
        {
            // A package id is the hash of its manifest, which names its files: the same id always names the same files.
            row = new CodePackageRow { Files = [.. files.Distinct(StringComparer.Ordinal)] };
            _table.Packages[packageId] = row;
        }

        row.Jobs[driver] = _time.GetUtcNow();
        row.UnreferencedSince = null;
        _table.Collected.Remove(packageId);
        await _stored.SaveAsync(_table);
        WatchWhileReferenced();
    }

    public Task<DateTimeOffset?> CollectedAtAsync(string packageId) =>
        Task.FromResult(_table.Collected.TryGetValue(packageId, out var at) ? at : (DateTimeOffset?)null);

    public Task<IReadOnlyList<CodePackageReferences>> ListAsync() =>
        Task.FromResult<IReadOnlyList<CodePackageReferences>>(
            [.. _table.Packages.Select(p => new CodePackageReferences(p.Key, [.. p.Value.Jobs.Keys], p.Value.Files, p.Value.UnreferencedSince))]);

    public Task WakeAsync() => Task.CompletedTask;

    /// <summary>Starts the collection timer when there are packages to watch, stops it when there are none.</summary>
    private void WatchWhileReferenced()
    {
        if (_table.Packages.Count > 0)
        {
            _timer ??= this.RegisterGrainTimer(CollectAsync, new GrainTimerCreationOptions(Period, Period) { KeepAlive = true });
        }
        else if (_timer is not null)
        {
            _timer.Dispose();
            _timer = null;
        }
    }

    /// <summary>One collection: drops the references of jobs that ended, marks since when each package is unreferenced,
    /// and deletes the packages unreferenced for the grace.</summary>
    private async Task CollectAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var changed = false;
        try
        {
            changed = await ReleaseEndedJobsAsync(now);
            var jobless = _table.Packages.Where(p => p.Value.Jobs.Count == 0).Select(p => p.Key).ToArray();
            var detached = jobless.Length == 0 ? [] : await DetachedPackagesAsync(jobless);
            foreach (var (id, row) in _table.Packages)
            {
                var referenced = row.Jobs.Count > 0 || detached.Contains(id);
                if (referenced != (row.UnreferencedSince is null))
                {
                    row.UnreferencedSince = referenced ? null : now;
                    changed = true;
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The job table or an actor table shard did not answer: nothing is collected on a view that may be wrong.
            LogCheckFailed(_logger, ex.GetType().Name, ex.Message);
            return;
        }

        var due = _table.Packages.Where(p => p.Value.UnreferencedSince is { } since && now - since >= _grace).Select(p => p.Key).ToList();
        if (due.Count > 0)
        {
            await CollectPackagesAsync(due, now);
            changed = true;
        }

        if (changed)
        {
            await _stored.SaveAsync(_table);
        }

        WatchWhileReferenced();
    }

    /// <summary>Drops each job reference whose job the job table lists as ended, and each older than the grace whose job
    /// it does not list as running (never added, or forgotten: the temporary reference has expired). So a package goes a
    /// grace after its job ended, as the README says, not a grace after a grace.</summary>
    /// <returns>True when a reference was dropped.</returns>
    private async Task<bool> ReleaseEndedJobsAsync(DateTimeOffset now)
    {
        var drivers = _table.Packages.Values.SelectMany(p => p.Jobs.Keys).Distinct(StringComparer.Ordinal).ToArray();
        if (drivers.Length == 0)
        {
            return false;
        }

        var jobs = GrainFactory.GetGrain<IJobTableGrain>(0);
        var ended = (await jobs.EndedAsync(drivers)).ToHashSet(StringComparer.Ordinal);
        var expired = drivers.Where(d => !ended.Contains(d) && _table.Packages.Values.Any(p => p.Jobs.TryGetValue(d, out var added) && now - added >= _grace)).ToArray();
        var running = expired.Length == 0 ? [] : (await jobs.RunningAsync(expired)).ToHashSet(StringComparer.Ordinal);
        var dropped = false;
        foreach (var row in _table.Packages.Values)
        {
            foreach (var driver in row.Jobs.Where(j => ended.Contains(j.Key) || (now - j.Value >= _grace && !running.Contains(j.Key))).Select(j => j.Key).ToList())
            {
                dropped |= row.Jobs.Remove(driver);
            }
        }

        return dropped;
    }

    /// <summary>The packages of <paramref name="packages"/> a live detached actor uses, from every actor table shard.</summary>
    private async Task<HashSet<string>> DetachedPackagesAsync(string[] packages)
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, ActorTableShards.Count)
            .Select(shard => GrainFactory.GetGrain<IActorTableGrain>(shard).DetachedPackagesAsync(packages)));
        return answers.SelectMany(a => a).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Deletes the manifests of <paramref name="due"/> and every file of theirs no other package in the table
    /// names, then forgets them; a package one of whose files could not be deleted stays for the next tick.</summary>
    private async Task CollectPackagesAsync(List<string> due, DateTimeOffset now)
    {
        var dueSet = due.ToHashSet(StringComparer.Ordinal);
        var kept = _table.Packages.Where(p => !dueSet.Contains(p.Key)).SelectMany(p => p.Value.Files.Append(p.Key)).ToHashSet(StringComparer.Ordinal);
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        var (collected, files, bytes) = (0, 0, 0L);
        foreach (var id in due)
        {
            var ok = true;
            // The manifest first, as it is uploaded last: a node never finds a manifest whose files are gone.
            foreach (var file in _table.Packages[id].Files.Prepend(id).Where(f => !kept.Contains(f) && !deleted.Contains(f)))
            {
                try
                {
                    bytes += await GrainFactory.GetGrain<ICodeBlobGrain>(file).DeleteAsync();
                    deleted.Add(file);
                    files++;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogDeleteFailed(_logger, file, id, ex.GetType().Name, ex.Message);
                    ok = false;
                }
            }

            if (ok)
            {
                _table.Packages.Remove(id);
                _table.Collected[id] = now;
                collected++;
            }
        }

        if (_table.Collected.Count > ICodePackageReferencesGrain.CollectedKept)
        {
            foreach (var old in _table.Collected.OrderBy(c => c.Value).Take(_table.Collected.Count - ICodePackageReferencesGrain.CollectedKept).Select(c => c.Key).ToList())
            {
                _table.Collected.Remove(old);
            }
        }

        LogCollected(_logger, collected, files, bytes, _grace, _table.Packages.Count);
    }

    private static void CheckHash(string hash, string parameter)
    {
        if (hash is not { Length: 64 } || !hash.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException($"'{hash}' is not a code package id or file hash (64 lowercase hex digits).", parameter);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Collected {Packages} code package(s) no job or detached actor referenced for {Grace}: deleted {Files} file(s), {Bytes} bytes freed; {Left} package(s) still watched")]
    private static partial void LogCollected(ILogger logger, int packages, int files, long bytes, TimeSpan grace, int left);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting code file {File} of collected package {Package} failed ({ErrorType}: {Reason}); trying again at the next collection")]
    private static partial void LogDeleteFailed(ILogger logger, string file, string package, string errorType, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Code package collection: the job table or the actor table did not answer ({ErrorType}: {Reason}); collecting nothing until they do")]
    private static partial void LogCheckFailed(ILogger logger, string errorType, string reason);
}
