using System.Collections.Concurrent;
using System.Runtime.Loader;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansRay.Grains;

namespace OrleansRay.Code;

/// <summary>The job code packages of one node: fetched from the control store the first time the node runs a job's
/// code (kept in a disk cache by content hash), loaded into the job's collectible context with the job's working dir
/// unpacked (<see cref="JobWorkingDirs"/>), and unloaded when no running job uses them (<see cref="Retire"/>), its
/// working dir removed; the disk cache then keeps the unused ones up to its bound, least recently used out first
/// (<see cref="CodeDiskCache"/>).</summary>
internal sealed partial class CodePackages
{
    /// <summary>How long a package stays loaded after its code last ran, once its job ended.</summary>
    public static readonly TimeSpan RetireGrace = TimeSpan.FromSeconds(2);

    /// <summary>The bound of the disk cache's unused code when the node's settings give none: 1 GiB (at least 16 jobs
    /// of the most code a job may ship, 64 MiB; typical jobs ship a few MiB).</summary>
    public const long DefaultMaxUnusedBytes = 1L << 30;

    /// <summary>How often the manifests of the loaded packages are marked as used on disk (so a node sharing the folder
    /// removes them last).</summary>
    private static readonly TimeSpan TouchInterval = TimeSpan.FromSeconds(30);

    /// <summary>The disk cache when the node's settings name none: the user's own data folder (~/.local/share on Linux),
    /// not the shared temp folder. Files are named by their hash and checked against it when read, so the nodes of one
    /// machine share it safely.</summary>
    public static readonly string DefaultCacheDirectory = Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create) is { Length: > 0 } data ? data : Path.GetTempPath(),
        "orleansray", "code");

    /// <summary>The parent of the working dirs of nodes whose settings name no folder for them: <c>orleansray/working_dirs</c>
    /// beside the default code cache; each node takes a folder of its own in it (<see cref="NewWorkingDirsFolder"/>).</summary>
    public static readonly string DefaultWorkingDirsParent = Path.Combine(Path.GetDirectoryName(DefaultCacheDirectory)!, "working_dirs");

    private static readonly ConcurrentDictionary<string, string> FileHashes = new(StringComparer.Ordinal);

    private readonly IGrainFactory _grains;
    private readonly IServiceProvider _host;
    private readonly Action<IServiceCollection> _configure;
    private readonly Func<string> _nodeName;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Lazy<Task<CodePackage>>> _packages = new(StringComparer.Ordinal);
    private readonly List<WeakReference> _unloading = [];
    private readonly CodeDiskCache _cache;
    private readonly JobWorkingDirs _workingDirs;
    private int _collectionsLeft;
    private bool _trimmed;
    private long _touchedTicks;

    /// <summary>The packages of a node.</summary>
    /// <param name="grains">Reaches the control store's code files.</param>
    /// <param name="host">The node's service provider (each job's serializer takes the node's grain-reference codecs from it).</param>
    /// <param name="configure">Adds the node's runtime to each job's serializer services.</param>
    /// <param name="cacheDirectory">The node's disk cache of code files (created when missing).</param>
    /// <param name="maxUnusedBytes">Bytes of code no loaded package needs that the disk cache keeps at most (0: none).</param>
    /// <param name="workingDirs">The folder this node unpacks jobs' working dirs in, its own (null: a new one under
    /// <see cref="DefaultWorkingDirsParent"/>).</param>
    /// <param name="nodeName">The node's name, for messages.</param>
    /// <param name="logger">Logs loads, unloads, removals from the disk cache and a <c>--load</c>ed library that differs
    /// from a job's copy.</param>
    public CodePackages(IGrainFactory grains, IServiceProvider host, Action<IServiceCollection> configure, string cacheDirectory, long maxUnusedBytes, string? workingDirs, Func<string> nodeName, ILogger logger)
    {
        _grains = grains;
        _host = host;
        _configure = configure;
        _cache = new CodeDiskCache(cacheDirectory, maxUnusedBytes);
        _workingDirs = new JobWorkingDirs(workingDirs ?? NewWorkingDirsFolder(), logger);
        _nodeName = nodeName;
        _logger = logger;
    }

    /// <summary>The node's name, for messages.</summary>
    public string NodeName => _nodeName();

    /// <summary>Where the node keeps code files, named by their SHA-256.</summary>
    public string CacheDirectory => _cache.Directory;

    /// <summary>Bytes of code no loaded package needs that the disk cache keeps at most.</summary>
    public long MaxUnusedBytes => _cache.MaxUnusedBytes;

    /// <summary>The node's jobs' working dirs.</summary>
    public JobWorkingDirs WorkingDirs => _workingDirs;

    /// <summary>A folder of its own for a node under <see cref="DefaultWorkingDirsParent"/>: the process and a random part.</summary>
    public static string NewWorkingDirsFolder() =>
        Path.Combine(DefaultWorkingDirsParent, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"node-{Environment.ProcessId}-{Guid.NewGuid():N}"));

    /// <summary>Packages loaded now.</summary>
    public int Loaded => _packages.Values.Count(p => p.IsValueCreated && p.Value.IsCompletedSuccessfully);

    /// <summary>Job load contexts still in memory: the loaded ones, and unloaded ones the runtime has not collected yet.</summary>
    public int Contexts
    {
        get
        {
            lock (_unloading)
            {
                _unloading.RemoveAll(w => !w.IsAlive);
                return Loaded + _unloading.Count;
            }
        }
    }

    /// <summary>The package, when it is loaded already.</summary>
    public bool TryGet(string id, out CodePackage package)
    {
        if (_packages.TryGetValue(id, out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
        {
            package = lazy.Value.Result;
            return true;
        }

        package = null!;
        return false;
    }

    /// <summary>The package, loading it the first time (concurrent callers share one load).</summary>
    /// <exception cref="CodeLoadException">A file could not be fetched or an assembly did not load (a later call tries again).</exception>
    public Task<CodePackage> GetAsync(string id)
    {
        return _packages.GetOrAdd(id, key => new Lazy<Task<CodePackage>>(() => LoadOrForgetAsync(key))).Value;
    }

    private async Task<CodePackage> LoadOrForgetAsync(string id)
    {
        try
        {
            return await LoadAsync(id).ConfigureAwait(false);
        }
        catch
        {
            _packages.TryRemove(id, out _); // the next run tries again (the head may have the file by then)
            throw;
        }
    }

    /// <summary>Unloads the packages no running job uses (<paramref name="live"/>: the package ids of running jobs), that
    /// host no actor, run no code now, and were not used for <see cref="RetireGrace"/>; then trims the disk cache to its
    /// bound, never removing the files of a package still loaded (or loading).</summary>
    /// <returns>How many were unloaded.</returns>
    public int Retire(IReadOnlySet<string> live)
    {
        var now = DateTime.UtcNow.Ticks;
        var retired = 0;
        foreach (var (id, lazy) in _packages)
        {
            if (live.Contains(id) || !lazy.IsValueCreated || !lazy.Value.IsCompletedSuccessfully)
            {
                continue;
            }

            var package = lazy.Value.Result;
            if (!package.Idle || now - package.LastUsedTicks < RetireGrace.Ticks
                || !_packages.TryRemove(new KeyValuePair<string, Lazy<Task<CodePackage>>>(id, lazy)))
            {
                continue;
            }

            if (!package.Idle || now - package.LastUsedTicks < RetireGrace.Ticks)
            {
                // Used between the check and the removal (a task arrived, an actor started): it stays.
                _packages.TryAdd(id, lazy);
                continue;
            }

            var weak = package.Unload();
            _workingDirs.Release(package.Manifest);
            CodeScope.PackageUnloaded();
            lock (_unloading)
            {
                _unloading.Add(weak);
            }

            _cache.Touch(id, new DateTime(package.LastUsedTicks, DateTimeKind.Utc)); // its place in the cache's order
            LogUnloaded(_logger, CodePackage.Short(id));
            retired++;
        }

        if (retired > 0 || !_trimmed)
        {
            _trimmed = true; // the first look also trims what earlier runs of the node left
            TrimCache();
        }
        else if (now - _touchedTicks >= TouchInterval.Ticks)
        {
            _touchedTicks = now;
            foreach (var id in _packages.Keys)
            {
                _cache.Touch(id, new DateTime(now, DateTimeKind.Utc));
            }
        }

        if (retired > 0)
        {
            _collectionsLeft = 5;
        }

        if (_collectionsLeft > 0 && Contexts > Loaded)
        {
            // An unloaded context goes at a collection once nothing references it (running code may still hold it for
            // a moment): collect now and at the next few ticks, not forever (a context something keeps would cost a
            // full collection a second).
            _collectionsLeft--;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }

        return retired;
    }

    /// <summary>Removes every job's working dir on this node: the node stops.</summary>
    public void RemoveWorkingDirs() => _workingDirs.RemoveAll();

    private async Task<CodePackage> LoadAsync(string id)
    {
        if (!CodeManifest.IsHash(id))
        {
            throw new CodeLoadException($"'{id}' is not a job code package id (64 lowercase hex digits).");
        }

        var node = _nodeName();
        var manifest = CodeManifest.Parse(await FileAsync(id, "the manifest", id, node).ConfigureAwait(false));
        _cache.Touch(id, DateTime.UtcNow); // used now: the most recent in the cache's order
        var files = new Dictionary<string, (string Hash, byte[] Bytes)>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in manifest.Assemblies)
        {
            files[file.Name] = (file.Sha256, await FileAsync(file.Sha256, $"assembly '{file.Name}'", id, node).ConfigureAwait(false));
        }

        var context = new JobLoadContext(id, files, SharedCopy);
        string? workingDir = null;
        try
        {
            workingDir = await _workingDirs.AcquireAsync(manifest, id, node, (hash, what) => FileAsync(hash, what, id, node)).ConfigureAwait(false);
            foreach (var file in manifest.Assemblies)
            {
                LoadEagerly(context, file, id, node);
            }

            var (services, serializer) = JobSerializerFactory.Build(context, _host, _configure, manifest.Assemblies.Select(a => a.Name));
            LogLoaded(_logger, CodePackage.Short(id), manifest.ToString());
            CodeScope.PackageLoaded();
            return new CodePackage(id, manifest, context, services, new JobSerializer(serializer, id, manifest.EnvVars, manifest.Assemblies.Select(a => a.Name), workingDir));
        }
        catch
        {
            OrleansTypeCaches.Purge(context);
            context.Unload();
            if (workingDir is not null)
            {
                _workingDirs.Release(manifest); // a failed unpacking released its own
            }

            throw;
        }
    }

    private static void LoadEagerly(JobLoadContext context, CodeFile file, string id, string node)
    {
        try
        {
            _ = context.LoadFromAssemblyName(new System.Reflection.AssemblyName(file.Name)).GetTypes();
        }
        catch (System.Reflection.ReflectionTypeLoadException ex)
        {
            var reason = ex.LoaderExceptions.FirstOrDefault(e => e is not null)?.Message ?? ex.Message;
            throw new CodeLoadException($"Assembly '{file.Name}' of job code {CodePackage.Short(id)} could not be loaded on node {node}: {reason}", ex);
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException or TypeLoadException)
        {
            throw new CodeLoadException($"Assembly '{file.Name}' of job code {CodePackage.Short(id)} could not be loaded on node {node}: {ex.Message}", ex);
        }
    }

    /// <summary>Removes unused packages from the disk cache beyond its bound: the loaded and loading ones stay.</summary>
    private void TrimCache()
    {
        var inUse = new Dictionary<string, IEnumerable<string>?>(StringComparer.Ordinal);
        foreach (var (id, lazy) in _packages)
        {
            inUse[id] = lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully
                ? lazy.Value.Result.Manifest.FileHashes()
                : null; // still loading: its manifest on disk names its files
        }

        try
        {
            foreach (var removed in _cache.Trim(inUse))
            {
                LogEvicted(_logger, CodePackage.Short(removed), _cache.MaxUnusedBytes);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogTrimFailed(_logger, _cache.Directory, ex.Message); // the next unload tries again
        }
    }

    /// <summary>The bytes of file <paramref name="hash"/> of package <paramref name="package"/>: from the disk cache, else
    /// fetched from the control store and cached.</summary>
    private async Task<byte[]> FileAsync(string hash, string what, string package, string node)
    {
        if (await _cache.ReadAsync(hash).ConfigureAwait(false) is { } cached)
        {
            return cached;
        }

        byte[]? bytes;
        try
        {
            bytes = await _grains.GetGrain<ICodeBlobGrain>(hash).GetAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new CodeLoadException($"Node {node} could not fetch {what} of job code ({hash}) from the head: {ex.Message}", ex);
        }

        if (bytes is null || CodeManifest.Hash(bytes) != hash)
        {
            throw new CodeLoadException(await MissingAsync(hash, what, package, node).ConfigureAwait(false));
        }

        await _cache.WriteAsync(hash, bytes).ConfigureAwait(false);
        return bytes;
    }

    /// <summary>Why the head does not have file <paramref name="hash"/>: its package was collected (its job ended and
    /// nothing referenced it for the grace), or, when the head does not remember that, it was never uploaded.</summary>
    private async Task<string> MissingAsync(string hash, string what, string package, string node)
    {
        DateTimeOffset? collected = null;
        try
        {
            collected = await _grains.GetGrain<ICodePackageReferencesGrain>(0).CollectedAtAsync(package).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogCollectedUnknown(_logger, CodePackage.Short(package), ex.Message); // the message below says what is known
        }

        return collected is { } at
            ? $"Node {node} could not fetch {what} of job code {CodePackage.Short(package)} ({hash}): the head collected that package at {at:u}, " +
              "after its job had ended and no running job or live detached actor referenced it for the grace period (10 minutes unless the head sets another). " +
              "Work of an ended job cannot load its code on a node that does not have it cached; run the job's driver again (it uploads the code again), or make an actor that must outlive its job detached."
            : $"Node {node} could not fetch {what} of job code {CodePackage.Short(package)} ({hash}): the head does not have it (it was never uploaded, " +
              "or its package was collected after its job ended and the head has forgotten when). Connect the driver again to upload it.";
    }

    /// <summary>True when the node's default context already has this very build of <paramref name="name"/> (a
    /// <c>--load</c>ed library the job also ships): the job uses the shared copy. A different build there is reported,
    /// and the job gets its own copy: a node never runs another build of a job's code than the driver's.</summary>
    private bool SharedCopy(string name, string hash)
    {
        var shared = AssemblyLoadContext.Default.Assemblies.FirstOrDefault(a => string.Equals(a.GetName().Name, name, StringComparison.OrdinalIgnoreCase));
        if (shared is null || string.IsNullOrEmpty(shared.Location) || !File.Exists(shared.Location))
        {
            return false;
        }

        var sharedHash = FileHashes.GetOrAdd(shared.Location, static location => CodeManifest.Hash(File.ReadAllBytes(location)));
        if (sharedHash == hash)
        {
            return true;
        }

        LogDifferentBuild(_logger, name, shared.Location, CodePackage.Short(sharedHash), CodePackage.Short(hash));
        return false;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Asking the head whether job code {Package} was collected failed: {Reason}")]
    private static partial void LogCollectedUnknown(ILogger logger, string package, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded job code {Package}: {Contents}")]
    private static partial void LogLoaded(ILogger logger, string package, string contents);

    [LoggerMessage(Level = LogLevel.Information, Message = "Unloaded job code {Package}: no running job uses it")]
    private static partial void LogUnloaded(ILogger logger, string package);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed job code {Package} from the disk cache: no loaded job uses it, and the unused code there was over {MaxUnusedBytes} bytes")]
    private static partial void LogEvicted(ILogger logger, string package, long maxUnusedBytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trimming the code cache {Directory} failed: {Reason}; trying again at the next unload")]
    private static partial void LogTrimFailed(ILogger logger, string directory, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The node's copy of '{Assembly}' ({Path}, build {NodeBuild}) is not the job's (build {JobBuild}): the job runs its own copy; restart the node with the driver's build in --load to share one")]
    private static partial void LogDifferentBuild(ILogger logger, string assembly, string path, string nodeBuild, string jobBuild);
}
