using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansRay.Code;
using OrleansRay.Execution;
using OrleansRay.Grains;
using OrleansRay.Hosting;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Code;

/// <summary>A job's working dir (Ray's <c>runtime_env.working_dir</c>, <see cref="RuntimeEnv.WorkingDir"/>) reaches the
/// node that runs the job's code: listed and hashed by the driver as <c>job submit</c> packs a folder, shipped with the
/// code package, unpacked by the node into a folder of its own (<see cref="RayContext.WorkingDirectory"/>) and removed
/// when the job's code is unloaded. Packages are uploaded as a driver uploads them; tasks are pinned to a second
/// in-process node (a task run where it was submitted calls the submitter's delegate and loads no package).</summary>
public sealed class JobWorkingDirTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "orleansray-workdir-" + Guid.NewGuid().ToString("N"));

    public JobWorkingDirTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The job's file data.txt as a task of the job reads it on its node: "FOLDER|CONTENT".</summary>
    public static string ReadData()
    {
        var folder = RayContext.WorkingDirectory ?? "(none)";
        return folder + "|" + File.ReadAllText(Path.Combine(folder, "data.txt"));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_jobs_working_dir_reaches_the_node_that_runs_its_task_and_goes_when_the_job_ends()
    {
        var source = Path.Combine(_folder, "source");
        Write(source, "data.txt", "hello from the working dir");
        Write(source, "empty.txt", string.Empty);
        Write(source, "sub/run.sh", "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(Path.Combine(source, "sub", "run.sh"), (UnixFileMode)0x1ED); // 0755
        foreach (var left in new[] { "bin/App.dll", "obj/App.dll", ".git/HEAD", "sub/bin/x.dll" })
        {
            Write(source, left, "build output or history");
        }

        File.CreateSymbolicLink(Path.Combine(source, "link.txt"), Path.Combine(source, "data.txt"));
        await using var cluster = await StartAsync();
        var (driver, worker) = (cluster.Nodes[0].Runtime, cluster.Nodes[1]);

        var scanned = WorkingDirUpload.Scan(source, RuntimeEnv.DefaultMaxWorkingDirBytes);
        Assert.Equal(["data.txt", "empty.txt", "sub/run.sh"], scanned.Files.Select(f => f.Entry.Path));
        Assert.Equal(0x1ED, scanned.Files.Single(f => f.Entry.Path == "sub/run.sh").Entry.Mode);
        var jobDriver = WorkerId.NewId().ToString();
        var shipped = await JobCodeUpload.UploadAsync(driver.GrainFactory, jobDriver, new RuntimeEnv(), [], scanned, NullLogger.Instance, CancellationToken.None);
        Assert.Equal(4, shipped.UploadedFiles); // three files and the manifest
        var jobs = driver.GrainFactory.GetGrain<IJobTableGrain>(0);
        var jobId = "workdir-" + Guid.NewGuid().ToString("N")[..8];
        await jobs.StartAsync(new JobInfo { JobId = jobId, Driver = jobDriver, State = JobState.Running, Code = shipped.PackageId, StartedAt = DateTimeOffset.UtcNow });

        var (folder, content) = await ReadOnAsync(driver, worker, shipped.PackageId);

        Assert.Equal("hello from the working dir", content);
        Assert.StartsWith(worker.Runtime.Code!.WorkingDirs.Root + Path.DirectorySeparatorChar, folder, StringComparison.Ordinal);
        Assert.Equal(0, new FileInfo(Path.Combine(folder, "empty.txt")).Length);
        Assert.True(File.GetUnixFileMode(Path.Combine(folder, "sub", "run.sh")).HasFlag(UnixFileMode.UserExecute), "the script's mode was not kept");
        Assert.Equal(["data.txt", "empty.txt", "sub/run.sh"], Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal));
        Assert.False(Directory.Exists(driver.Code!.WorkingDirs.Root) && Directory.EnumerateFileSystemEntries(driver.Code.WorkingDirs.Root).Any(),
            "the submitting node unpacked a working dir for a task it did not run");

        // The same files again (a new connection of the same driver): same package, nothing uploaded.
        var again = await JobCodeUpload.UploadAsync(driver.GrainFactory, WorkerId.NewId().ToString(), new RuntimeEnv(), [], WorkingDirUpload.Scan(source, RuntimeEnv.DefaultMaxWorkingDirBytes), NullLogger.Instance, CancellationToken.None);
        Assert.Equal(shipped.PackageId, again.PackageId);
        Assert.Equal(0, again.UploadedFiles);

        await jobs.EndAsync(jobId, JobState.Succeeded, null);
        await Eventually.TrueAsync(() => worker.Runtime.Code.Loaded == 0 && !Directory.Exists(folder) && worker.Runtime.Code.WorkingDirs.Count == 0, Deadline,
            "the ended job's code unloaded and its working dir removed from the node");
    }

    [Fact]
    public async Task Two_jobs_with_the_same_files_share_one_folder_on_a_node_until_both_have_ended()
    {
        var source = Path.Combine(_folder, "shared");
        Write(source, "data.txt", "shared data");
        await using var cluster = await StartAsync();
        var (driver, worker) = (cluster.Nodes[0].Runtime, cluster.Nodes[1]);
        var jobs = driver.GrainFactory.GetGrain<IJobTableGrain>(0);
        var scanned = WorkingDirUpload.Scan(source, RuntimeEnv.DefaultMaxWorkingDirBytes);
        var folders = new List<string>();
        var ids = new List<string>();
        foreach (var variable in new[] { "one", "two" })
        {
            // Other environment variables: other code packages, the same working dir.
            var env = new RuntimeEnv();
            env.EnvVars["JOB"] = variable;
            var jobDriver = WorkerId.NewId().ToString();
            var shipped = await JobCodeUpload.UploadAsync(driver.GrainFactory, jobDriver, env, [], scanned, NullLogger.Instance, CancellationToken.None);
            var jobId = "workdir-" + variable + "-" + Guid.NewGuid().ToString("N")[..8];
            await jobs.StartAsync(new JobInfo { JobId = jobId, Driver = jobDriver, State = JobState.Running, Code = shipped.PackageId, StartedAt = DateTimeOffset.UtcNow });
            folders.Add((await ReadOnAsync(driver, worker, shipped.PackageId)).Folder);
            ids.Add(jobId);
        }

        Assert.Equal(folders[0], folders[1]);
        Assert.Equal(1, worker.Runtime.Code!.WorkingDirs.Count);

        await jobs.EndAsync(ids[0], JobState.Succeeded, null);
        await Eventually.TrueAsync(() => worker.Runtime.Code.Loaded == 1, Deadline, "the first job's code unloaded");
        Assert.True(File.Exists(Path.Combine(folders[0], "data.txt")), "the folder went while another job with the same files ran");
        await jobs.EndAsync(ids[1], JobState.Succeeded, null);
        await Eventually.TrueAsync(() => worker.Runtime.Code.Loaded == 0 && !Directory.Exists(folders[0]), Deadline,
            "the shared folder removed once the second job ended too");
    }

    [Theory]
    [InlineData("../escaped.txt")]
    [InlineData("sub/../../escaped.txt")]
    [InlineData("/tmp/orleansray-escaped.txt")]
    [InlineData("..\\escaped.txt")]
    public async Task A_working_dir_entry_outside_its_folder_is_refused_by_the_node_which_writes_nothing(string entry)
    {
        await using var cluster = await StartAsync();
        var (driver, worker) = (cluster.Nodes[0].Runtime, cluster.Nodes[1]);
        var bytes = Encoding.UTF8.GetBytes("escaped " + Guid.NewGuid());
        var hash = CodeManifest.Hash(bytes);
        await driver.GrainFactory.GetGrain<ICodeBlobGrain>(hash).PutAsync(bytes);
        var manifest = new CodeManifest { WorkingDir = [new WorkingDirFile("data.txt", hash, bytes.Length, 0), new WorkingDirFile(entry, hash, bytes.Length, 0)] }.ToBytes();
        var packageId = CodeManifest.Hash(manifest);
        await driver.GrainFactory.GetGrain<ICodeBlobGrain>(packageId).PutAsync(manifest);

        var error = await FailOnAsync(driver, worker, packageId);

        Assert.Equal(RayErrorKind.FunctionUnavailable, error.Kind);
        Assert.Contains($"refused the working dir of job code {packageId[..12]}: its entry '{entry}' would land outside the job's folder", error.Message, StringComparison.Ordinal);
        var root = worker.Runtime.Code!.WorkingDirs.Root;
        Assert.False(Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Any(), "the node wrote part of a refused working dir");
        foreach (var escaped in new[] { Path.Combine(Path.GetDirectoryName(root)!, "escaped.txt"), Path.Combine(root, "escaped.txt"), "/tmp/orleansray-escaped.txt" })
        {
            Assert.False(File.Exists(escaped) && File.ReadAllBytes(escaped).SequenceEqual(bytes), $"the refused entry was written to {escaped}");
        }

        Assert.Equal(0, worker.Runtime.Code.Loaded);
    }

    [Fact]
    public async Task A_working_dir_over_its_limit_or_with_a_file_over_64_MiB_is_refused_at_connect_naming_sizes_and_limits()
    {
        var source = Path.Combine(_folder, "large");
        foreach (var name in new[] { "a.bin", "b.bin", "c.bin" })
        {
            Write(source, name, new string('x', 1000));
        }

        var tooMuch = Assert.Throws<RayException>(() => WorkingDirUpload.Scan(source, 2500));
        Assert.Contains($"The job's working dir {source} holds 3,000 bytes or more (3 files counted", tooMuch.Message, StringComparison.Ordinal);
        Assert.Contains("the limit is 2,500 bytes (RayOptions.RuntimeEnv.MaxWorkingDirBytes)", tooMuch.Message, StringComparison.Ordinal);

        // One file over what one grain message carries (sparse: nothing is written or read).
        using (var big = File.Create(Path.Combine(source, "big.bin")))
        {
            big.SetLength(ICodeBlobGrain.MaxBytes + 1L);
        }

        var tooBig = Assert.Throws<RayException>(() => WorkingDirUpload.Scan(source, long.MaxValue));
        Assert.Contains("File big.bin of the job's working dir", tooBig.Message, StringComparison.Ordinal);
        Assert.Contains("the cluster takes files up to 67,108,864 bytes", tooBig.Message, StringComparison.Ordinal);

        // Through InitAsync, before anything reaches the cluster: nothing answers at this address.
        var options = new RayOptions { Address = "127.0.0.1:1" };
        options.RuntimeEnv.WorkingDir = source;
        options.RuntimeEnv.MaxWorkingDirBytes = 2500;
        var viaInit = await Assert.ThrowsAsync<RayException>(() => Ray.InitAsync(options));
        Assert.Contains("RayOptions.RuntimeEnv.MaxWorkingDirBytes", viaInit.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_working_dir_is_an_ArgumentException_naming_it_before_anything_starts_or_connects()
    {
        var missing = Path.Combine(_folder, "no-such-folder");
        foreach (var address in new string?[] { null, "127.0.0.1:1" })
        {
            var options = new RayOptions { Address = address };
            options.RuntimeEnv.WorkingDir = missing;
            var refused = await Assert.ThrowsAsync<ArgumentException>(() => Ray.InitAsync(options));
            Assert.Contains($"RayOptions.RuntimeEnv.WorkingDir = \"{missing}\": no such folder ({missing})", refused.Message, StringComparison.Ordinal);
        }

        var noCode = new RayOptions { Address = "127.0.0.1:1" };
        (noCode.RuntimeEnv.WorkingDir, noCode.RuntimeEnv.ShipCode) = (_folder, false);
        var refusedNoCode = await Assert.ThrowsAsync<ArgumentException>(() => Ray.InitAsync(noCode));
        Assert.Contains("with ShipCode = false", refusedNoCode.Message, StringComparison.Ordinal);

        var fromJob = Assert.Throws<ArgumentException>(() => new RayOptions { Address = "auto" }.ValidateWorkingDir(missing));
        Assert.Contains($"ORLEANSRAY_JOB_WORKING_DIR = \"{missing}\" (the working dir `orleansray job submit` gave this job): no such folder", fromJob.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_working_dir_job_submit_gives_is_the_default_and_a_value_set_in_RuntimeEnv_wins()
    {
        var submitted = Path.Combine(_folder, "submitted");
        var connected = new RayOptions { Address = "auto" };
        Assert.Equal(submitted, connected.JobWorkingDir(submitted));
        Assert.Null(connected.JobWorkingDir(null));
        Assert.Null(connected.JobWorkingDir(string.Empty));

        connected.RuntimeEnv.WorkingDir = "relative/data";
        Assert.Equal(Path.GetFullPath("relative/data"), connected.JobWorkingDir(submitted));

        // A connected driver that ships no code has no package to carry one: job submit's is not taken.
        var noCode = new RayOptions { Address = "auto" };
        noCode.RuntimeEnv.ShipCode = false;
        Assert.Null(noCode.JobWorkingDir(submitted));
        Assert.Equal(submitted, new RayOptions().JobWorkingDir(submitted)); // an embedded driver's: nothing is shipped
    }

    [Fact]
    public async Task An_embedded_driver_and_its_tasks_see_the_working_dir_itself()
    {
        var options = new RayOptions { NumCpus = 1, ObjectStoreMemory = 0 };
        options.RuntimeEnv.WorkingDir = _folder;
        await using (var ray = await Ray.InitAsync(options))
        {
            Assert.Equal(_folder, RayContext.WorkingDirectory);
            Assert.Equal(_folder, await ray.GetAsync(ray.Task(static () => RayContext.WorkingDirectory ?? "(none)").Remote(), Deadline));
        }

        await using (var plain = await Ray.InitAsync(new RayOptions { NumCpus = 1, ObjectStoreMemory = 0 }))
        {
            Assert.Null(RayContext.WorkingDirectory);
            Assert.Equal("(none)", await plain.GetAsync(plain.Task(static () => RayContext.WorkingDirectory ?? "(none)").Remote(), Deadline));
        }
    }

    [Fact]
    public void A_manifest_without_a_working_dir_has_the_bytes_it_had_before_working_dirs_travelled()
    {
        var assembly = new CodeFile("A", new string('a', 64), 1);
        var plain = new CodeManifest { Assemblies = [assembly] }.ToBytes();
        Assert.Equal("{\"assemblies\":[{\"name\":\"A\",\"sha256\":\"" + new string('a', 64) + "\",\"size\":1}],\"envVars\":{}}", Encoding.UTF8.GetString(plain));

        var a = new CodeManifest { Assemblies = [assembly], WorkingDir = [new WorkingDirFile("b", new string('b', 64), 2, 0), new WorkingDirFile("a", new string('c', 64), 3, 420)] };
        var b = new CodeManifest { Assemblies = [assembly], WorkingDir = [new WorkingDirFile("a", new string('c', 64), 3, 420), new WorkingDirFile("b", new string('b', 64), 2, 0)] };
        Assert.Equal(CodeManifest.Hash(a.ToBytes()), CodeManifest.Hash(b.ToBytes()));
        Assert.Equal(a.WorkingDirId(), b.WorkingDirId());
        Assert.Equal(["a", "b"], CodeManifest.Parse(a.ToBytes()).WorkingDir!.Select(f => f.Path));
        Assert.Equal([new string('a', 64), new string('c', 64), new string('b', 64)], CodeManifest.Parse(a.ToBytes()).FileHashes());
        Assert.Throws<InvalidDataException>(() => CodeManifest.Parse(new CodeManifest { WorkingDir = [new WorkingDirFile("a", "nothex", 1, 0)] }.ToBytes()));
    }

    /// <summary>A driver's node and a worker, each unpacking working dirs in a folder of its own under this test's.</summary>
    private async Task<InProcessCluster> StartAsync()
    {
        var nodes = 0;
        var cluster = await InProcessCluster.StartAsync(
            node => node.WorkingDirsDirectory = Path.Combine(_folder, "node" + Interlocked.Increment(ref nodes)),
            (2, null), (2, null));
        await cluster.Nodes[0].Runtime.Cluster.Refresh.RefreshAsync(); // the driver's node knows the worker before it places there
        return cluster;
    }

    /// <summary>Runs <see cref="ReadData"/> as code of package <paramref name="packageId"/> on <paramref name="worker"/>.</summary>
    private static async Task<(string Folder, string Content)> ReadOnAsync(OrleansRay.Node.NodeRuntime driver, InProcessCluster.Node worker, string packageId)
    {
        var entry = Submit(driver, worker, packageId);
        Assert.True(await ObjectWaiter.WaitOneAsync(entry, Deadline, CancellationToken.None), "the task never finished");
        var outcome = entry.Read();
        Assert.True(outcome.Error is null, outcome.Error?.ToString());
        var parts = Assert.IsType<string>(outcome.Value).Split('|');
        return (parts[0], parts[1]);
    }

    private static async Task<RayError> FailOnAsync(OrleansRay.Node.NodeRuntime driver, InProcessCluster.Node worker, string packageId)
    {
        var entry = Submit(driver, worker, packageId);
        Assert.True(await ObjectWaiter.WaitOneAsync(entry, Deadline, CancellationToken.None), "the task never finished");
        return entry.Read().Error ?? throw new Xunit.Sdk.XunitException("the task of a refused working dir ran: " + entry.Read().Value);
    }

    private static OrleansRay.Ownership.ObjectEntry Submit(OrleansRay.Node.NodeRuntime driver, InProcessCluster.Node worker, string packageId) =>
        driver.SubmitTask(FunctionRegistry.ForDelegate(ReadData, "remote function").WithPackage(packageId), [], ResourceSet.From([new("CPU", 1)]),
            maxRetries: 0, retryExceptions: false, name: null, new PlacementHint { Kind = PlacementKind.NodeAffinity, Node = worker.NodeId });

    private static void Write(string root, string relative, string content)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
