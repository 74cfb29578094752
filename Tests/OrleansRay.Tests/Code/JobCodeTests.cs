using System.Text;
using OrleansRay.Code;
using OrleansRay.Execution;
using OrleansRay.Grains;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Code;

/// <summary>Issue 12 on in-process nodes: what a node does with a job's code package it cannot use, and what the
/// control store takes.</summary>
public sealed class JobCodeTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await InProcessCluster.StartAsync((2, null), (2, null));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    public static int One() => 1;

    [Fact]
    public async Task A_job_assembly_that_does_not_load_fails_its_task_naming_the_assembly_the_node_and_the_reason()
    {
        var driver = _cluster.Nodes[0].Runtime;
        var worker = _cluster.Nodes[1];
        // A package whose one "assembly" is not a .NET image (a file of the wrong kind, a truncated upload).
        var broken = Encoding.UTF8.GetBytes("this is not a .NET assembly");
        await driver.GrainFactory.GetGrain<ICodeBlobGrain>(CodeManifest.Hash(broken)).PutAsync(broken);
        var manifest = new CodeManifest { Assemblies = [new CodeFile("Broken", CodeManifest.Hash(broken), broken.Length)] }.ToBytes();
        var packageId = CodeManifest.Hash(manifest);
        await driver.GrainFactory.GetGrain<ICodeBlobGrain>(packageId).PutAsync(manifest);

        await driver.Cluster.Refresh.RefreshAsync(); // the submitting node knows the worker before it places there
        var function = FunctionRegistry.ForDelegate(One, "remote function").WithPackage(packageId);
        var entry = driver.SubmitTask(function, [], ResourceSet.From([new("CPU", 1)]), maxRetries: 0, retryExceptions: false, name: null,
            new PlacementHint { Kind = PlacementKind.NodeAffinity, Node = worker.NodeId });

        Assert.True(await ObjectWaiter.WaitOneAsync(entry, Deadline, CancellationToken.None), "the task never finished");
        var error = entry.Read().Error;
        Assert.NotNull(error);
        Assert.True(error.Kind == RayErrorKind.FunctionUnavailable, error.ToString());
        Assert.Equal(RayErrorKind.FunctionUnavailable, error.Kind);
        Assert.Contains("Assembly 'Broken'", error.Message, StringComparison.Ordinal);
        var where = $"could not be loaded on node {worker.NodeId.Value}: ";
        Assert.Contains(where, error.Message, StringComparison.Ordinal);
        // The loader's own reason follows the node: a bad image says so.
        var reason = error.Message[(error.Message.IndexOf(where, StringComparison.Ordinal) + where.Length)..];
        Assert.True(reason.Contains("format", StringComparison.OrdinalIgnoreCase) || reason.Contains("image", StringComparison.OrdinalIgnoreCase), error.Message);
        Assert.Equal(0, worker.Runtime.Code!.Loaded);
    }

    [Fact]
    public async Task The_control_store_refuses_code_whose_bytes_do_not_hash_to_its_key_and_keeps_the_right_ones()
    {
        var grains = _cluster.Nodes[0].Runtime.GrainFactory;
        var bytes = Encoding.UTF8.GetBytes("some code");
        var wrongKey = CodeManifest.Hash(Encoding.UTF8.GetBytes("other code"));

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => grains.GetGrain<ICodeBlobGrain>(wrongKey).PutAsync(bytes));
        Assert.Contains("hash to", refused.Message, StringComparison.Ordinal);
        Assert.False(await grains.GetGrain<ICodeBlobGrain>(wrongKey).HasAsync());

        var rightKey = CodeManifest.Hash(bytes);
        Assert.False(await grains.GetGrain<ICodeBlobGrain>(rightKey).HasAsync());
        await grains.GetGrain<ICodeBlobGrain>(rightKey).PutAsync(bytes);
        Assert.True(await grains.GetGrain<ICodeBlobGrain>(rightKey).HasAsync());
        Assert.Equal(bytes, await grains.GetGrain<ICodeBlobGrain>(rightKey).GetAsync());
    }

    [Fact]
    public void A_manifest_is_the_same_bytes_whatever_order_its_parts_were_given_in()
    {
        var a = new CodeManifest
        {
            Assemblies = [new CodeFile("B", new string('b', 64), 2), new CodeFile("A", new string('a', 64), 1)],
            EnvVars = new Dictionary<string, string> { ["Y"] = "2", ["X"] = "1" },
        };
        var b = new CodeManifest
        {
            Assemblies = [new CodeFile("A", new string('a', 64), 1), new CodeFile("B", new string('b', 64), 2)],
            EnvVars = new Dictionary<string, string> { ["X"] = "1", ["Y"] = "2" },
        };

        Assert.Equal(CodeManifest.Hash(a.ToBytes()), CodeManifest.Hash(b.ToBytes()));
        var parsed = CodeManifest.Parse(a.ToBytes());
        Assert.Equal(["A", "B"], parsed.Assemblies.Select(f => f.Name));
        Assert.Equal("2", parsed.EnvVars["Y"]);
        Assert.Throws<InvalidDataException>(() => CodeManifest.Parse(Encoding.UTF8.GetBytes("{\"assemblies\":[{\"name\":\"A\",\"sha256\":\"nothex\",\"size\":1}]}")));
    }
}
