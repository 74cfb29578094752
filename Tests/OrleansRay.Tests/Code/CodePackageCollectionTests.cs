using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.Loader;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansRay.Code;
using OrleansRay.Execution;
using OrleansRay.Grains;
using OrleansRay.Hosting;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Code;

/// <summary>The head collects job code packages no job and no live detached actor references (Ray's runtime-env URI
/// reference counting in the GCS): after the grace, a package's manifest and the files no referenced package names leave
/// the control store. Packages here are uploaded and referenced as a driver does; jobs are rows in the job table.</summary>
public sealed class CodePackageCollectionTests : IClassFixture<CodePackageCollectionTests.Cluster>
{
    /// <summary>The head's grace in these tests: short, so a collection happens within a second or two.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(300);

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly Cluster _fixture;

    public CodePackageCollectionTests(Cluster fixture) => _fixture = fixture;

    private IGrainFactory Grains => _fixture.Nodes.Nodes[0].Runtime.GrainFactory;

    private ICodePackageReferencesGrain References => Grains.GetGrain<ICodePackageReferencesGrain>(0);

    public static int One() => 1;

    [Fact]
    public async Task A_package_whose_job_ended_is_collected_after_the_grace_and_a_node_that_needs_it_says_why()
    {
        var package = Package.Make(2);
        var job = await StartJobAsync(package);

        await job.EndAsync();

        await Eventually.TrueAsync(() => package.GoneAsync(Grains), Deadline, "the ended job's package (manifest and files) was collected");
        Assert.NotNull(await References.CollectedAtAsync(package.Id));
        Assert.DoesNotContain(await References.ListAsync(), r => r.PackageId == package.Id);

        // A node that never cached it and is asked to run its code now says it was collected, and what to do.
        var (driver, worker) = (_fixture.Nodes.Nodes[0].Runtime, _fixture.Nodes.Nodes[1]);
        await driver.Cluster.Refresh.RefreshAsync();
        var entry = driver.SubmitTask(FunctionRegistry.ForDelegate(One, "remote function").WithPackage(package.Id), [], ResourceSet.From([new("CPU", 1)]),
            maxRetries: 0, retryExceptions: false, name: null, new PlacementHint { Kind = PlacementKind.NodeAffinity, Node = worker.NodeId });
        Assert.True(await ObjectWaiter.WaitOneAsync(entry, Deadline, CancellationToken.None), "the task never finished");
        var error = entry.Read().Error;
        Assert.NotNull(error);
        Assert.Equal(RayErrorKind.FunctionUnavailable, error.Kind);
        Assert.Contains("the head collected that package", error.Message, StringComparison.Ordinal);
        Assert.Contains("after its job had ended", error.Message, StringComparison.Ordinal);
        Assert.Contains("run the job's driver again", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_a_live_jobs_package_also_names_is_kept_while_the_ended_jobs_own_files_go()
    {
        var shared = Package.File();
        var (live, ended) = (Package.Make(1, shared), Package.Make(1, shared));
        await StartJobAsync(live);
        var endedJob = await StartJobAsync(ended);

        await endedJob.EndAsync();

        await Eventually.TrueAsync(async () => !await Has(ended.Id) && !await Has(ended.Files[1].Hash), Deadline,
            "the ended job's manifest and own file were collected");
        Assert.True(await Has(shared.Hash), "the file the live job's package names too was collected");
        Assert.True(await live.AllThereAsync(Grains), "the live job's package lost a file");
    }

    [Fact]
    public async Task A_live_detached_actor_of_an_ended_job_keeps_its_package_until_it_is_killed()
    {
        var (withActor, control) = (Package.Make(1), Package.Make(1));
        var job = await StartJobAsync(withActor);
        var controlJob = await StartJobAsync(control);
        var actor = ActorId.NewId();
        var table = Grains.GetGrain<IActorTableGrain>(ActorTableShards.Of(actor));
        await table.RegisterAsync([new ActorCreationSpec
        {
            ActorId = actor,
            Constructor = new FunctionDescriptor("Job", "Job.Counter", ".ctor", 0) { Code = withActor.Id },
            Options = new ActorOptionsData { Name = "counter", Detached = true },
            Owner = WorkerId.Parse(job.Driver),
            ClassName = "Counter",
        }]);
        await table.ReportAsync([new ActorStateReport(actor, ActorState.Alive, "node")]);

        await job.EndAsync();
        await controlJob.EndAsync();

        // The control package, unreferenced as long, goes: the collection ran past the grace and kept the actor's package.
        await Eventually.TrueAsync(() => control.GoneAsync(Grains), Deadline, "the control package was collected");
        Assert.True(await withActor.AllThereAsync(Grains), "the package of a live detached actor was collected");

        await table.ReportAsync([new ActorStateReport(actor, ActorState.Dead, "node")]);
        await Eventually.TrueAsync(() => withActor.GoneAsync(Grains), Deadline, "the killed detached actor's package was collected");
    }

    [Fact]
    public async Task A_package_whose_job_still_runs_is_never_collected()
    {
        var (live, control) = (Package.Make(2), Package.Make(1));
        await StartJobAsync(live);
        var controlJob = await StartJobAsync(control);

        await controlJob.EndAsync();

        // Referenced at the same moment, so past its temporary reference and the grace as the control package is.
        await Eventually.TrueAsync(() => control.GoneAsync(Grains), Deadline, "the control package was collected");
        Assert.True(await live.AllThereAsync(Grains), "the running job's package was collected");
        Assert.Contains(await References.ListAsync(), r => r.PackageId == live.Id && r.UnreferencedSince is null);
    }

    [Fact]
    public async Task A_driver_whose_files_are_all_there_adds_its_reference_before_it_asks_for_any()
    {
        var folder = Path.Combine(Path.GetTempPath(), "orleansray-refs-" + Guid.NewGuid().ToString("N"));
        var context = new AssemblyLoadContext("refs-test", isCollectible: true);
        try
        {
            var assembly = EmitAssembly(folder, context);
            var bytes = await File.ReadAllBytesAsync(assembly.Location);
            // A first upload of the same code (another build's driver did it): every file is "already there".
            var first = await JobCodeUpload.UploadAsync(Grains, WorkerId.NewId().ToString(), new RuntimeEnv(), [assembly], null, NullLogger.Instance, CancellationToken.None);
            var calls = new List<string>();
            var recording = RecordingGrainFactory.Create(Grains, calls);
            var driver = WorkerId.NewId().ToString();
            // Its job runs (so its reference outlives the grace while the test looks at it).
            await Grains.GetGrain<IJobTableGrain>(0).StartAsync(new JobInfo { JobId = "refs-order-" + driver[..8], Driver = driver, State = JobState.Running, Embedded = true, StartedAt = DateTimeOffset.UtcNow });

            var second = await JobCodeUpload.UploadAsync(recording, driver, new RuntimeEnv(), [assembly], null, NullLogger.Instance, CancellationToken.None);

            Assert.Equal(first.PackageId, second.PackageId);
            Assert.Equal(0, second.UploadedFiles);
            Assert.Equal(
                ["ICodePackageReferencesGrain.AddReferenceAsync", "ICodeBlobGrain.HasAsync", "ICodeBlobGrain.HasAsync"],
                calls);
            var row = Assert.Single(await References.ListAsync(), r => r.PackageId == second.PackageId);
            Assert.Contains(driver, row.Drivers);
            Assert.Equal([CodeManifest.Hash(bytes)], row.Files);
        }
        finally
        {
            context.Unload();
            Directory.Delete(folder, recursive: true);
        }
    }

    private async Task<bool> Has(string hash) => await Grains.GetGrain<ICodeBlobGrain>(hash).HasAsync();

    /// <summary>Uploads <paramref name="package"/> as a driver does (its reference first) and adds its job's row, running.</summary>
    private async Task<Job> StartJobAsync(Package package)
    {
        var job = new Job(Grains.GetGrain<IJobTableGrain>(0), "refs-" + Guid.NewGuid().ToString("N")[..8], WorkerId.NewId().ToString());
        await References.AddReferenceAsync(package.Id, job.Driver, [.. package.Files.Select(f => f.Hash)]);
        await package.UploadAsync(Grains);
        // Embedded: a connected driver's row would be failed after 15 s without its driver's heartbeats.
        await job.Table.StartAsync(new JobInfo { JobId = job.JobId, Driver = job.Driver, State = JobState.Running, Embedded = true, StartedAt = DateTimeOffset.UtcNow });
        return job;
    }

    /// <summary>A small real assembly, saved to a file in <paramref name="folder"/> and loaded from there (a shipped
    /// assembly has a location).</summary>
    private static Assembly EmitAssembly(string folder, AssemblyLoadContext context)
    {
        Directory.CreateDirectory(folder);
        var name = "RefsJob" + Guid.NewGuid().ToString("N")[..8];
        var builder = new PersistedAssemblyBuilder(new AssemblyName(name), typeof(object).Assembly);
        builder.DefineDynamicModule(name).DefineType(name + ".Code", TypeAttributes.Public).CreateType();
        var path = Path.Combine(folder, name + ".dll");
        using (var file = File.Create(path))
        {
            builder.Save(file);
        }

        return context.LoadFromAssemblyPath(path);
    }

    private sealed record Job(IJobTableGrain Table, string JobId, string Driver)
    {
        public Task EndAsync() => Table.EndAsync(JobId, JobState.Succeeded, null);
    }

    /// <summary>A package of random files (content, not assemblies: collection never loads them) and its manifest.</summary>
    private sealed record Package(string Id, byte[] Manifest, IReadOnlyList<(string Hash, byte[] Bytes)> Files)
    {
        public static (string Hash, byte[] Bytes) File()
        {
            var bytes = RandomNumberGenerator.GetBytes(4096);
            return (CodeManifest.Hash(bytes), bytes);
        }

        public static Package Make(int ownFiles, params (string Hash, byte[] Bytes)[] shared)
        {
            var files = shared.Concat(Enumerable.Range(0, ownFiles).Select(_ => File())).ToList();
            var manifest = new CodeManifest { Assemblies = [.. files.Select((f, i) => new CodeFile("F" + i + f.Hash[..8], f.Hash, f.Bytes.Length))] }.ToBytes();
            return new Package(CodeManifest.Hash(manifest), manifest, files);
        }

        public async Task UploadAsync(IGrainFactory grains)
        {
            foreach (var (hash, bytes) in Files)
            {
                await grains.GetGrain<ICodeBlobGrain>(hash).PutAsync(bytes);
            }

            await grains.GetGrain<ICodeBlobGrain>(Id).PutAsync(Manifest);
        }

        private IEnumerable<string> Hashes => Files.Select(f => f.Hash).Append(Id);

        public async Task<bool> AllThereAsync(IGrainFactory grains) =>
            (await Task.WhenAll(Hashes.Select(h => grains.GetGrain<ICodeBlobGrain>(h).HasAsync()))).All(has => has);

        public async Task<bool> GoneAsync(IGrainFactory grains) =>
            !(await Task.WhenAll(Hashes.Select(h => grains.GetGrain<ICodeBlobGrain>(h).HasAsync()))).Any(has => has);
    }

    /// <summary>Two in-process nodes whose head collects packages after <see cref="Grace"/>.</summary>
    public sealed class Cluster : IAsyncLifetime
    {
        public InProcessCluster Nodes { get; private set; } = null!;

        public async Task InitializeAsync() => Nodes = await InProcessCluster.StartAsync(node => node.CodePackageGrace = Grace, (2, null), (2, null));

        public async Task DisposeAsync() => await Nodes.DisposeAsync();
    }
}
