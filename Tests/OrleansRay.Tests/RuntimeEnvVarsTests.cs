using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Ray's task- and actor-level <c>runtime_env={"env_vars": ...}</c> (<see cref="TaskOptions.EnvVars"/>,
/// <see cref="ActorOptions.EnvVars"/>): the work sees its own variables over its job's, the work it submits inherits
/// them, and an embedded driver's <see cref="RuntimeEnv.EnvVars"/> reach its tasks and actors.</summary>
public sealed class RuntimeEnvVarsTests
{
    /// <summary>A task: the value of <paramref name="name"/> as the running code sees it, or "(none)".</summary>
    public static string Read(string name) => RayContext.GetEnvironmentVariable(name) ?? "(none)";

    /// <summary>A task: the variables it sees, as sorted "name=value" pairs joined by ';'.</summary>
    public static string All() => string.Join(";", RayContext.EnvVars.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    /// <summary>A task: what a child task without variables of its own sees, then what a child setting STAGE sees.</summary>
    public static async Task<string> ReadInChildren()
    {
        var ray = Ray.Current;
        var inherited = await ray.Task(All).Remote();
        var own = await ray.Task(All).Options(new TaskOptions { EnvVars = { ["STAGE"] = "child" } }).Remote();
        return inherited + "|" + own;
    }

    /// <summary>An actor that records what its constructor saw and answers what its methods and their tasks see.</summary>
    public sealed class EnvActor
    {
        private readonly string _atConstruction = All();

        public string Constructed() => _atConstruction;

        public string Now() => All();

        public async Task<string> InTask() => await Ray.Current.Task(All).Remote();
    }

    [Fact]
    public async Task A_task_sees_its_own_variables_over_its_job_and_its_children_inherit_them()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, RuntimeEnv = { EnvVars = { ["STAGE"] = "job", ["JOB_ONLY"] = "1" } } });

        // The job's variables reach the driver and its tasks (an embedded driver has no code package to carry them).
        Assert.Equal("job", RayContext.GetEnvironmentVariable("STAGE"));
        Assert.Equal("JOB_ONLY=1;STAGE=job", await ray.Task(All).Remote());

        // A task's own win over the job's; a task without its own sees the job's only.
        var options = new TaskOptions { EnvVars = { ["STAGE"] = "task", ["TASK_ONLY"] = "2" } };
        Assert.Equal("JOB_ONLY=1;STAGE=task;TASK_ONLY=2", await ray.Task(All).Options(options).Remote());
        Assert.Equal("job", await ray.Task(Read, "STAGE").Remote());

        // Changing the options after Remote() changes nothing already submitted.
        var before = ray.Task(ReadInChildren).Options(options).Remote();
        options.EnvVars["STAGE"] = "changed";
        Assert.Equal("JOB_ONLY=1;STAGE=task;TASK_ONLY=2|JOB_ONLY=1;STAGE=child;TASK_ONLY=2", await before);

        // A variable the runtime env does not set falls back to the process's.
        Assert.Equal(Environment.GetEnvironmentVariable("PATH"), await ray.Task(Read, "PATH").Options(options).Remote());
    }

    [Fact]
    public async Task An_actor_sees_its_variables_in_its_constructor_its_methods_and_the_tasks_they_submit()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, RuntimeEnv = { EnvVars = { ["STAGE"] = "job" } } });

        var actor = ray.Actor(() => new EnvActor()).Options(new ActorOptions { EnvVars = { ["STAGE"] = "actor", ["ACTOR_ONLY"] = "a" } }).Remote();
        Assert.Equal("ACTOR_ONLY=a;STAGE=actor", await actor.Task(a => a.Constructed()).Remote());
        Assert.Equal("ACTOR_ONLY=a;STAGE=actor", await actor.Task(a => a.Now()).Remote());
        Assert.Equal("ACTOR_ONLY=a;STAGE=actor", await actor.Task(a => a.InTask()).Remote());

        var plain = ray.Actor(() => new EnvActor()).Remote();
        Assert.Equal("STAGE=job", await plain.Task(a => a.Now()).Remote());
    }

    /// <summary>A streaming generator: what it sees, then what a child task of it sees.</summary>
    public static async IAsyncEnumerable<string> Stream()
    {
        yield return All();
        yield return await Ray.Current.Task(All).Remote();
    }

    /// <summary>A task that creates an actor without variables of its own and one with its own; what each sees.</summary>
    public static async Task<string> ActorsMadeHere()
    {
        var ray = Ray.Current;
        var inheriting = ray.Actor(() => new EnvActor()).Remote();
        var own = ray.Actor(() => new EnvActor()).Options(new ActorOptions { EnvVars = { ["STAGE"] = "inner" } }).Remote();
        return await inheriting.Task(a => a.Now()).Remote() + "|" + await own.Task(a => a.Now()).Remote();
    }

    [Fact]
    public async Task Variables_hold_across_an_actors_restart_in_generators_and_for_actors_made_in_a_task()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2 });

        var actor = ray.Actor(() => new EnvActor()).Options(new ActorOptions { MaxRestarts = 1, EnvVars = { ["STAGE"] = "actor" } }).Remote();
        Assert.Equal("STAGE=actor", await actor.Task(a => a.Constructed()).Remote());
        await ray.KillAsync(actor, noRestart: false);
        Assert.Equal("STAGE=actor", await actor.Task(a => a.Constructed()).Remote()); // the restarted instance's constructor

        var seen = new List<string>();
        await foreach (var item in ray.Task(Stream).Options(new TaskOptions { EnvVars = { ["STAGE"] = "stream" } }).Remote())
        {
            seen.Add(await item);
        }

        Assert.Equal(["STAGE=stream", "STAGE=stream"], seen);
        Assert.Equal("STAGE=task|STAGE=inner", await ray.Task(ActorsMadeHere).Options(new TaskOptions { EnvVars = { ["STAGE"] = "task" } }).Remote());
    }

    [Fact]
    public async Task Bad_variables_are_refused_at_Remote_naming_the_option()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1 });

        var blank = Assert.Throws<ArgumentException>(() => ray.Task(All).Options(new TaskOptions { EnvVars = { [""] = "x" } }).Remote());
        Assert.Contains("TaskOptions.EnvVars", blank.Message, StringComparison.Ordinal);
        var equals = Assert.Throws<ArgumentException>(() => ray.Actor(() => new EnvActor()).Options(new ActorOptions { EnvVars = { ["A=B"] = "x" } }).Remote());
        Assert.Contains("ActorOptions.EnvVars[\"A=B\"]", equals.Message, StringComparison.Ordinal);
        var nullValue = Assert.Throws<ArgumentException>(() => ray.Task(All).Options(new TaskOptions { EnvVars = { ["A"] = null! } }).Remote());
        Assert.Contains("a value", nullValue.Message, StringComparison.Ordinal);
        var grainActor = await Assert.ThrowsAsync<ArgumentException>(() => ray.CreateActorAsync<TestGrainActors.ICounterActor>(new ActorOptions { EnvVars = { ["A"] = "1" } }));
        Assert.Contains("not supported for an actor behind a grain interface", grainActor.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_task_on_another_node_and_its_children_there_see_the_variables_sent_with_it()
    {
        await using var cluster = await InProcessCluster.StartAsync((2, null), (2, null));
        // No code package: the job's variables travel with each task, as a task's own do.
        await using var ray = await Ray.InitAsync(new RayOptions
        {
            Address = cluster.Address,
            AuthToken = cluster.AuthToken,
            RuntimeEnv = { ShipCode = false, EnvVars = { ["STAGE"] = "job" } },
        });

        foreach (var node in cluster.Nodes)
        {
            var pinned = SchedulingStrategy.NodeAffinity(node.NodeId);
            Assert.Equal("STAGE=job", await ray.Task(All).Options(new TaskOptions { SchedulingStrategy = pinned }).Remote());
            var options = new TaskOptions { SchedulingStrategy = pinned, EnvVars = { ["STAGE"] = "task", ["TASK_ONLY"] = node.NodeId.Value } };
            Assert.Equal(
                $"STAGE=task;TASK_ONLY={node.NodeId.Value}|STAGE=child;TASK_ONLY={node.NodeId.Value}",
                await ray.Task(ReadInChildren).Options(options).Remote());
        }
    }
}
