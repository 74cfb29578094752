using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>Ray runs a job's tasks and actors in the job's namespace: a named actor that a task or an actor method
/// creates without naming a namespace is in the driver's namespace (where the driver finds it), not in the default
/// namespace of the node that happened to run the code. Two in-process nodes whose default namespace is "default", and a
/// connected driver in namespace "team-a" whose work runs on the far node.</summary>
public sealed class JobNamespaceTests : IAsyncLifetime
{
    private const string DriverNamespace = "team-a";
    private InProcessCluster _cluster = null!;
    private IRay _ray = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (2, null));
        _ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken, Namespace = DriverNamespace });
    }

    public async Task DisposeAsync()
    {
        await _ray.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    /// <summary>The namespace code in a task sees.</summary>
    public static string NamespaceHere() => Ray.Current.Namespace;

    /// <summary>A task that submits a task and returns the namespace that one saw.</summary>
    public static async Task<string> NestedNamespace() => await Ray.Current.Task(NamespaceHere).Remote();

    /// <summary>Creates a named detached actor without naming a namespace; returns the namespace the task saw.</summary>
    public static async Task<string> CreateNamedCounter(string name)
    {
        var counter = Ray.Current.Actor(() => new NamespaceProbe()).Options(new ActorOptions { Name = name, Lifetime = ActorLifetime.Detached }).Remote();
        await counter.Task(c => c.Where()).Remote();
        return Ray.Current.Namespace;
    }

    private TaskOptions OnFarNode() => new() { SchedulingStrategy = SchedulingStrategy.NodeAffinity(_cluster.Nodes[1].NodeId) };

    [Fact]
    public async Task A_task_and_the_tasks_it_submits_run_in_the_drivers_namespace()
    {
        Assert.Equal(DriverNamespace, await _ray.Task(NamespaceHere).Options(OnFarNode()).Remote());
        Assert.Equal(DriverNamespace, await _ray.Task(NestedNamespace).Options(OnFarNode()).Remote());
    }

    [Fact]
    public async Task A_named_actor_a_task_creates_is_found_by_the_driver_in_its_namespace()
    {
        var name = $"made-by-task-{Guid.NewGuid():N}";

        Assert.Equal(DriverNamespace, await _ray.Task(CreateNamedCounter, name).Options(OnFarNode()).Remote());

        var found = await _ray.GetActorAsync<NamespaceProbe>(name);
        Assert.Equal(DriverNamespace, await found.Task(c => c.Where()).Remote());
        await Assert.ThrowsAnyAsync<Exception>(() => _ray.GetActorAsync<NamespaceProbe>(name, "default"));
        await _ray.KillAsync(found);
    }

    [Fact]
    public async Task An_actor_method_runs_in_its_actors_namespace_and_creates_named_actors_there()
    {
        var maker = _ray.Actor(() => new NamespaceProbe())
            .Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(_cluster.Nodes[1].NodeId) })
            .Remote();
        var name = $"made-by-actor-{Guid.NewGuid():N}";

        Assert.Equal(DriverNamespace, await maker.Task(m => m.Where()).Remote());
        Assert.Equal(DriverNamespace, await maker.Task((m, n) => m.CreateNamed(n), name).Remote());

        var found = await _ray.GetActorAsync<NamespaceProbe>(name);
        Assert.Equal(DriverNamespace, await found.Task(c => c.Where()).Remote());
        await _ray.KillAsync(found);
        await _ray.KillAsync(maker);
    }
}

/// <summary>An actor that tells the namespace its code runs in, and creates named actors.</summary>
public sealed class NamespaceProbe
{
    /// <summary>The namespace this method's code sees.</summary>
    public string Where() => Ray.Current.Namespace;

    /// <summary>Creates a named detached probe without naming a namespace; returns the namespace this method saw.</summary>
    public async Task<string> CreateNamed(string name)
    {
        var probe = Ray.Current.Actor(() => new NamespaceProbe()).Options(new ActorOptions { Name = name, Lifetime = ActorLifetime.Detached }).Remote();
        await probe.Task(p => p.Where()).Remote();
        return Ray.Current.Namespace;
    }
}
