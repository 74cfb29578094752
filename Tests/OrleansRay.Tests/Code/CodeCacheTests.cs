using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.Loader;
using OrleansRay.Code;
using OrleansRay.Execution;
using OrleansRay.Grains;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Code;

/// <summary>A node's code cache is bounded (Ray's runtime-env agent: packages counted by the jobs and actors using
/// them, unused ones kept up to a size, least recently used out first): after many jobs with distinct code end, the
/// node keeps at most <see cref="RayNodeOptions.CodeCacheBytes"/> of their files; code a running job uses stays, over
/// the bound; code removed is fetched again when a job runs it again. Each job's code is a real assembly made here,
/// uploaded to the head as a driver uploads its package, and run on a second in-process node (a task run where it was
/// submitted calls the submitter's delegate and loads no package), each node with a cache folder of its own.</summary>
public sealed class CodeCacheTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "orleansray-codecache-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task After_jobs_with_distinct_code_end_the_node_keeps_at_most_the_bound_and_a_rerun_of_removed_code_fetches_it_again()
    {
        var packages = Enumerable.Range(0, 5).Select(i => JobCode.Make(i)).ToList();
        var size = packages.Max(p => p.Bytes);
        var bound = 2 * size + size / 2; // room for two jobs' code, not three
        await using var cluster = await StartAsync(bound);
        var (driver, runtime) = (cluster.Nodes[0].Runtime, cluster.Nodes[1].Runtime);
        Assert.Equal(bound, runtime.Code!.MaxUnusedBytes);
        var folder = runtime.Code.CacheDirectory;
        foreach (var package in packages)
        {
            await package.UploadAsync(runtime.GrainFactory);
        }

        foreach (var package in packages)
        {
            await RunAsync(driver, runtime, package); // one job after the other; none is in the job table, so each ended once run
        }

        await Eventually.TrueAsync(() => runtime.Code.Loaded == 0 && BytesOnDisk(folder) <= bound, Deadline,
            $"the five jobs' code unloaded and at most {bound} bytes of it left in the cache (now {BytesOnDisk(folder)} bytes in {FilesOnDisk(folder).Count} files)");
        Assert.True(packages[4].OnDisk(folder), "the most recently used job's code was removed");
        Assert.True(packages[3].OnDisk(folder), "the second most recently used job's code was removed");
        Assert.All(packages.Take(3), p => Assert.False(p.AnyOnDisk(folder), $"job {p.Index}'s code was kept past the bound"));

        // The first job's code is gone from the node; running it again fetches it from the head again.
        await RunAsync(driver, runtime, packages[0]);
        Assert.True(packages[0].OnDisk(folder), "the removed code was not fetched into the cache again");
        await Eventually.TrueAsync(() => runtime.Code.Loaded == 0 && !packages[3].AnyOnDisk(folder), Deadline,
            "the re-run job's code unloaded, and the least recently used code (job 3's) removed for it");
        Assert.True(packages[0].OnDisk(folder) && packages[4].OnDisk(folder), "the two most recently used jobs' code is not all in the cache");
        Assert.True(BytesOnDisk(folder) <= bound, $"{BytesOnDisk(folder)} bytes in the cache, over the bound of {bound}");
    }

    [Fact]
    public async Task Code_a_running_job_uses_is_never_removed_even_over_the_bound_and_goes_once_its_job_ends()
    {
        var (used, unused) = (JobCode.Make(10), JobCode.Make(11));
        await using var cluster = await StartAsync(0);
        var (driver, runtime) = (cluster.Nodes[0].Runtime, cluster.Nodes[1].Runtime);
        var folder = runtime.Code!.CacheDirectory;
        await used.UploadAsync(runtime.GrainFactory);
        await unused.UploadAsync(runtime.GrainFactory);
        var jobs = runtime.GrainFactory.GetGrain<IJobTableGrain>(0);
        var jobId = "codecache-" + Guid.NewGuid().ToString("N")[..8];
        await jobs.StartAsync(new JobInfo { JobId = jobId, State = JobState.Running, Code = used.Id, StartedAt = DateTimeOffset.UtcNow });

        await RunAsync(driver, runtime, used);
        await RunAsync(driver, runtime, unused);

        // The bound is 0: unused code goes as soon as the node unloads it, the running job's stays (in memory and on disk).
        await Eventually.TrueAsync(() => !unused.AnyOnDisk(folder) && runtime.Code!.Loaded == 1, Deadline,
            "the code no job uses unloaded and removed from the cache");
        Assert.True(runtime.Code!.TryGet(used.Id, out _), "the running job's code was unloaded");
        Assert.True(used.OnDisk(folder), "the running job's code was removed from the cache while the job runs");
        await RunAsync(driver, runtime, used); // and it still runs, from what the node has

        await jobs.EndAsync(jobId, JobState.Succeeded, null);
        await Eventually.TrueAsync(() => runtime.Code.Loaded == 0 && !used.AnyOnDisk(folder), Deadline,
            "the ended job's code released: unloaded, and removed from the cache (bound 0)");
    }

    [Fact]
    public void Trimming_keeps_files_a_kept_or_used_package_names_and_removes_stale_partial_writes()
    {
        Directory.CreateDirectory(_folder);
        var shared = Write(new string('s', 1000));
        var (oldOnly, newOnly, usedOnly) = (Write(new string('o', 1000)), Write(new string('n', 1000)), Write(new string('u', 1000)));
        var old = Manifest([shared, oldOnly], DateTime.UtcNow.AddMinutes(-3));
        var recent = Manifest([shared, newOnly], DateTime.UtcNow.AddMinutes(-2));
        var used = Manifest([usedOnly], DateTime.UtcNow.AddMinutes(-10));
        var stale = Path.Combine(_folder, shared.Hash + ".dll.0123.tmp");
        File.WriteAllText(stale, "half a file");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));
        var cache = new CodeDiskCache(_folder, maxUnusedBytes: 2500);

        var removed = cache.Trim(new Dictionary<string, IEnumerable<string>?> { [used] = null });

        // Unused: shared, oldOnly, newOnly and the two manifests (over 3000 bytes): the older package goes, but not the
        // file the recent one names too; the used package stays though it is the oldest of all.
        Assert.Equal(new[] { old }, removed);
        Assert.False(File.Exists(cache.PathOf(old)));
        Assert.False(File.Exists(cache.PathOf(oldOnly.Hash)));
        Assert.True(File.Exists(cache.PathOf(shared.Hash)));
        Assert.True(File.Exists(cache.PathOf(recent)) && File.Exists(cache.PathOf(newOnly.Hash)));
        Assert.True(File.Exists(cache.PathOf(used)) && File.Exists(cache.PathOf(usedOnly.Hash)));
        Assert.False(File.Exists(stale));

        // With nothing in use and no room, everything goes.
        Assert.Equal(2, new CodeDiskCache(_folder, 0).Trim(new Dictionary<string, IEnumerable<string>?>()).Count);
        Assert.Empty(Directory.EnumerateFiles(_folder));

        (string Hash, long Size) Write(string text)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            var hash = CodeManifest.Hash(bytes);
            File.WriteAllBytes(Path.Combine(_folder, hash + ".dll"), bytes);
            return (hash, bytes.Length);
        }

        string Manifest((string Hash, long Size)[] files, DateTime used)
        {
            var bytes = new CodeManifest { Assemblies = [.. files.Select((f, i) => new CodeFile("A" + i + f.Hash[..4], f.Hash, f.Size))] }.ToBytes();
            var id = CodeManifest.Hash(bytes);
            File.WriteAllBytes(Path.Combine(_folder, id + ".dll"), bytes);
            File.SetLastWriteTimeUtc(Path.Combine(_folder, id + ".dll"), used);
            return id;
        }
    }

    /// <summary>A driver's node and a worker, each with its code cache in a folder of its own under this test's.</summary>
    private async Task<InProcessCluster> StartAsync(long bound)
    {
        var nodes = 0;
        var cluster = await InProcessCluster.StartAsync(
            node => (node.CodeCacheBytes, node.CodeCacheDirectory) = (bound, Path.Combine(_folder, "node" + Interlocked.Increment(ref nodes))),
            (2, null), (2, null));
        Assert.NotEqual(cluster.Nodes[0].Runtime.Code!.CacheDirectory, cluster.Nodes[1].Runtime.Code!.CacheDirectory);
        await cluster.Nodes[0].Runtime.Cluster.Refresh.RefreshAsync(); // the driver's node knows the worker before it places there
        return cluster;
    }

    /// <summary>The cache's files and their sizes now (the node may remove one while they are listed: it is left out).</summary>
    private static Dictionary<string, long> FilesOnDisk(string folder)
    {
        var files = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var path in Directory.Exists(folder) ? Directory.GetFiles(folder, "*.dll") : [])
        {
            try
            {
                files[Path.GetFileName(path)] = new FileInfo(path).Length;
            }
            catch (FileNotFoundException)
            {
                // Removed meanwhile.
            }
        }

        return files;
    }

    private static long BytesOnDisk(string folder) => FilesOnDisk(folder).Values.Sum();

    /// <summary>Runs the job's function on <paramref name="worker"/>, submitted from <paramref name="driver"/>'s node.</summary>
    private static async Task RunAsync(OrleansRay.Node.NodeRuntime driver, OrleansRay.Node.NodeRuntime worker, JobCode package)
    {
        var entry = driver.SubmitTask(package.Function, [], ResourceSet.From([new("CPU", 1)]), maxRetries: 0, retryExceptions: false, name: null,
            new PlacementHint { Kind = PlacementKind.NodeAffinity, Node = worker.NodeId });
        Assert.True(await ObjectWaiter.WaitOneAsync(entry, Deadline, CancellationToken.None), $"job {package.Index}'s task never finished");
        var outcome = entry.Read();
        Assert.Null(outcome.Error);
        Assert.Equal(package.Index, Assert.IsType<int>(outcome.Value));
    }

    /// <summary>One job's code: an assembly of its own (a static <c>Value()</c> returning the job's index, and a string
    /// of some KiB so the files have a size worth bounding) and its manifest, as a driver ships them.</summary>
    private sealed record JobCode(int Index, string Id, byte[] Assembly, byte[] Manifest, CompiledFunction Function)
    {
        public long Bytes => Assembly.Length + Manifest.Length;

        public string AssemblyHash => CodeManifest.Hash(Assembly);

        public static JobCode Make(int index)
        {
            var name = "CodeCacheJob" + index;
            var builder = new PersistedAssemblyBuilder(new AssemblyName(name), typeof(object).Assembly);
            var type = builder.DefineDynamicModule(name).DefineType(name + ".Code", TypeAttributes.Public | TypeAttributes.Abstract | TypeAttributes.Sealed);
            var il = type.DefineMethod("Value", MethodAttributes.Public | MethodAttributes.Static, typeof(int), Type.EmptyTypes).GetILGenerator();
            il.Emit(OpCodes.Ldc_I4, index);
            il.Emit(OpCodes.Ret);
            var padding = type.DefineMethod("Padding", MethodAttributes.Public | MethodAttributes.Static, typeof(string), Type.EmptyTypes).GetILGenerator();
            padding.Emit(OpCodes.Ldstr, new string((char)('a' + index % 26), 8 * 1024));
            padding.Emit(OpCodes.Ret);
            type.CreateType();
            using var stream = new MemoryStream();
            builder.Save(stream);
            var assembly = stream.ToArray();

            var manifest = new CodeManifest { Assemblies = [new CodeFile(name, CodeManifest.Hash(assembly), assembly.Length)] }.ToBytes();
            var id = CodeManifest.Hash(manifest);
            // The driver's side of the function: the method as this process sees it, named with the job's package.
            var context = new AssemblyLoadContext(name, isCollectible: true);
            var method = context.LoadFromStream(new MemoryStream(assembly)).GetType(name + ".Code")!.GetMethod("Value")!;
            return new JobCode(index, id, assembly, manifest, CompiledFunction.Compile(method, null, null).WithPackage(id));
        }

        /// <summary>Uploads the files as a driver does: the assembly, then the manifest.</summary>
        public async Task UploadAsync(IGrainFactory grains)
        {
            await grains.GetGrain<ICodeBlobGrain>(AssemblyHash).PutAsync(Assembly);
            await grains.GetGrain<ICodeBlobGrain>(Id).PutAsync(Manifest);
        }

        /// <summary>True when the node's cache holds all of the job's files.</summary>
        public bool OnDisk(string folder) => File.Exists(Path.Combine(folder, Id + ".dll")) && File.Exists(Path.Combine(folder, AssemblyHash + ".dll"));

        /// <summary>True when the node's cache holds any of the job's files.</summary>
        public bool AnyOnDisk(string folder) => File.Exists(Path.Combine(folder, Id + ".dll")) || File.Exists(Path.Combine(folder, AssemblyHash + ".dll"));
    }
}
