using System.Globalization;

namespace OrleansRay.Cluster.TestApp;

/// <summary>The <c>groups</c> verb: a driver that holds what its job's end must clean up, so a test can kill it and watch
/// the cluster do so: a named placement group that ends with the job, a detached one that must outlive it, and an actor
/// created inside one of its tasks (it belongs to the job and must die with it).</summary>
public static class HeldGroups
{
    /// <summary>How long the groups may take to be reserved and the actor to start on a busy machine.</summary>
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(60);

    /// <summary>Creates <c>PREFIX-ends</c> (<paramref name="bundles"/> bundles of 1 CPU, spread), the detached
    /// <c>PREFIX-kept</c> (one bundle of 1 CPU) and, from inside a task of no CPU, the actor <c>PREFIX-actor</c> (a
    /// <see cref="Counter"/> holding 1 CPU, not detached); waits until both groups are created and the actor answers;
    /// prints "holding".</summary>
    public static async Task HoldAsync(IRay ray, int bundles, string prefix)
    {
        ArgumentNullException.ThrowIfNull(ray);
        var ending = await ray.CreatePlacementGroupAsync(Enumerable.Range(0, bundles).Select(_ => new Bundle { ["CPU"] = 1 }), PlacementStrategy.Spread, prefix + "-ends");
        var kept = await ray.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 1 }], PlacementStrategy.Pack, prefix + "-kept", detached: true);
        await ending.ReadyAsync().WaitAsync(ReadyDeadline);
        await kept.ReadyAsync().WaitAsync(ReadyDeadline);
        var name = await ray.GetAsync(ray.Task(CreateActor, prefix + "-actor").Options(new TaskOptions { NumCpus = 0 }).Remote(), ReadyDeadline);
        var actor = await ray.GetActorAsync<Counter>(name);
        _ = await ray.GetAsync(actor.Task(CounterCalls.Increment).Remote(), ReadyDeadline);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"holding {prefix}-ends ({bundles} CPUs), {prefix}-kept (detached, 1 CPU), {name} (1 CPU, created in a task)"));
        Console.Out.Flush();
    }

    /// <summary>A task: creates the named, non-detached actor <paramref name="name"/> holding 1 CPU; returns the name.</summary>
    public static string CreateActor(string name)
    {
        Ray.Current.Actor(() => new Counter()).Options(new ActorOptions { Name = name, NumCpus = 1 }).Remote();
        return name;
    }
}
