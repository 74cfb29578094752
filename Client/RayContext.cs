using OrleansRay.Code;
using OrleansRay.Node;
using OrleansRay.Execution;

namespace OrleansRay;

/// <summary>What code inside a task or actor method can learn about its invocation.</summary>
public static class RayContext
{
    /// <summary>True inside a task or actor method.</summary>
    public static bool IsInTask => TaskContext.IsSet;

    /// <summary>Signalled when the running task is cancelled with <see cref="IRay.CancelAsync"/>; a long task should
    /// check it. <see cref="CancellationToken.None"/> outside tasks.</summary>
    public static CancellationToken CancellationToken => TaskContext.Current?.CancellationToken ?? CancellationToken.None;

    /// <summary>The running task's name: its <see cref="TaskOptions.Name"/> when given, else "Type.Method" of its
    /// function (of the actor method for an actor call); null outside a task or actor method.</summary>
    public static string? FunctionName => TaskContext.Current?.FunctionName;

    /// <summary>The node running the current task or actor method; in a driver, the node of <see cref="Ray.Current"/>
    /// (a connected driver has a node id of its own, "driver:..."). Default when neither applies.</summary>
    public static NodeId NodeId => (NodeRuntime.Current ?? Ray.CurrentDriverRuntime)?.NodeId ?? default;

    /// <summary>The id of the running task or actor call (Ray's <c>get_task_id</c>): a task's id is the one
    /// <c>list tasks</c> shows, the same for every attempt; an actor call's is made from its first return object's id
    /// (every call has its own), and an actor's constructor runs as the actor's creation, whose id has the actor id's
    /// digits. Actor calls and creations are not rows of <c>list tasks</c>. Null outside a task or actor method (a
    /// driver has no task id, as in Ray).</summary>
    public static TaskId? TaskId => TaskContext.Current is { } context && context.TaskId is { IsEmpty: false } id ? id : null;

    /// <summary>Which attempt of the running task or actor call this is (Ray's <c>attempt_number</c> in
    /// <c>list tasks</c>): 0 for the first run, 1 for the first retry (a task's after a node died, or after an exception
    /// with <see cref="TaskOptions.RetryExceptions"/>; an actor call's when it is sent again to the restarted actor after
    /// the node that had it died, as <see cref="ActorOptions.MaxTaskRetries"/> allows), and so on. 0 outside a task or
    /// actor method, and in actor constructors (see <see cref="WasActorRestarted"/>).</summary>
    public static int AttemptNumber => TaskContext.Current?.AttemptNumber ?? 0;

    /// <summary>The actor whose method or constructor is running (Ray's <c>get_actor_id</c>); it equals the
    /// <see cref="ActorHandle{TActor}.ActorId"/> of its handles. Null outside a class actor (in a task, a driver, or a
    /// grain-interface actor's methods, which run as Orleans grain calls).</summary>
    public static ActorId? ActorId => CurrentActor?.Actor;

    /// <summary>The name of the running actor (<see cref="ActorOptions.Name"/>; Ray's <c>get_actor_name</c>), or null
    /// for an unnamed actor (Ray: an empty string) and outside one.</summary>
    public static string? ActorName => CurrentActor?.ActorName;

    /// <summary>True inside an actor instance that was constructed again after its earlier instance died (Ray's
    /// <c>was_current_actor_reconstructed</c>; see <see cref="ActorOptions.MaxRestarts"/>): its constructor can then
    /// restore what the earlier instance had saved. False in an actor's first instance and outside actors.</summary>
    public static bool WasActorRestarted => CurrentActor?.WasRestarted ?? false;

    /// <summary>The placement group the running task, actor method or actor constructor is in (Ray's
    /// <c>get_current_placement_group</c>): the one its <see cref="TaskOptions.PlacementGroup"/> or
    /// <see cref="ActorOptions.PlacementGroup"/> named, or the group it was captured into by a parent with
    /// <see cref="TaskOptions.PlacementGroupCaptureChildTasks"/>. Null outside one, for work in no group, and in a driver
    /// (drivers belong to no group, as in Ray). A new handle on each read, equal to the group's others.</summary>
    /// <example>Put a task's helpers into its group's bundles, as Ray Tune's trainables do:
    /// <code>
    /// var group = RayContext.PlacementGroup;   // null when the task runs outside any group
    /// var part = await ray.Task(Shard, i).Options(new TaskOptions { PlacementGroup = group, BundleIndex = i + 1 }).Remote();
    /// </code></example>
    public static PlacementGroup? PlacementGroup => GroupCapture.Running() is { } group ? OrleansRay.PlacementGroup.From(group) : null;

    /// <summary>The resources the running task holds while it runs, or the running actor holds for life (Ray's
    /// <c>get_assigned_resources</c>): by resource name ("CPU", "GPU", "memory" in bytes, custom ones), as its options
    /// asked, e.g. <c>{ ["CPU"] = 1 }</c> for a task with default options and empty for an actor with default options (an
    /// actor holds no CPU unless asked, as in Ray). Resources taken from a placement-group bundle are given by their plain
    /// names too. Empty outside a task or actor and in a driver.</summary>
    /// <example>Size a task's own thread pool by the CPUs it asked for:
    /// <c>var threads = (int)RayContext.AssignedResources.GetValueOrDefault("CPU", 1);</c></example>
    public static IReadOnlyDictionary<string, double> AssignedResources
    {
        get
        {
            var context = TaskContext.IsSet ? TaskContext.Current : null;
            var shape = context?.Work?.Resources ?? (context?.Submitter as Actors.ActorCaller)?.Resources;
            if (shape is null || shape.IsEmpty)
            {
                return EmptyAmounts;
            }

            var plain = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (name, amount) in shape.Items)
            {
                var resource = Scheduling.BundleKey.TryParse(name, out var unnamed, out _) ? unnamed : name;
                plain[resource] = plain.GetValueOrDefault(resource) + amount;
            }

            return plain;
        }
    }

    private static readonly IReadOnlyDictionary<string, double> EmptyAmounts = new Dictionary<string, double>();

    /// <summary>The GPUs the running task holds while it runs, or the running actor holds for life (Ray's
    /// <c>ray.get_gpu_ids()</c>): device ordinals of its node, ascending, e.g. <c>[1]</c> for a task with
    /// <c>NumGpus = 1</c> that got the node's second GPU. Empty when it asked for no GPU, outside a task or class actor,
    /// and in a driver; an actor behind a grain interface reads its own as <see cref="ActorGrain"/>'s <c>GpuIds</c>.</summary>
    /// <remarks>
    /// Each GPU of a node (<c>--num-gpus</c>, <see cref="RayNodeOptions.NumGpus"/>) is an instance with an id from 0; the
    /// node gives every task and actor that asks for GPUs instances of its own, as Ray's raylet does: a whole number of
    /// GPUs is that many whole instances no other work shares, and a fraction below one (<c>NumGpus = 0.5</c>) a share of
    /// one instance, fractions packed onto as few GPUs as fit. A placement-group bundle reserves instances, and its work
    /// gets those. A task keeps its GPUs while it waits in a Get, so no other task is given them meanwhile.
    /// <para>Unlike Ray, which narrows <c>CUDA_VISIBLE_DEVICES</c> for each worker process so that a task's GPU is always
    /// its <c>cuda:0</c>, tasks here share their node's process: pick the device by these ids, e.g.
    /// <c>torch.device(DeviceType.CUDA, RayContext.GpuIds[0])</c> with TorchSharp. A node started with
    /// <c>CUDA_VISIBLE_DEVICES</c> set numbers the devices it sees from 0, as CUDA numbers them inside the process.</para>
    /// </remarks>
    public static IReadOnlyList<int> GpuIds
    {
        get
        {
            var context = TaskContext.IsSet ? TaskContext.Current : null;
            return context?.Work?.GpuIds ?? (context?.Submitter as Actors.ActorCaller)?.GpuIds ?? [];
        }
    }

    /// <summary>The id of the job the running code belongs to, as <c>orleansray list jobs</c> shows it (Ray's
    /// <c>get_job_id</c>): in a driver, its own (with several drivers in one process, that of <see cref="Ray.Current"/>,
    /// the one initialized last); in a task or actor method, its driver's (work submitted by tasks and by an actor belongs
    /// to the job that submitted them). Null where no job applies: outside any driver or task, in a detached actor
    /// (which outlives its job; Ray gives its creator's), and when the cluster's job table has no row for the job.</summary>
    /// <remarks>A node learns a job's id from the job table: the first ask on a node for a job it has not seen yet waits
    /// for one read of the table (at most 10 s; null if the head does not answer); later asks are answered at once.</remarks>
    public static string? JobId
    {
        get
        {
            if (TaskContext.Current is { } context)
            {
                return context.Host is NodeRuntime node ? JobIds.Of(context.JobDriver, node.GrainFactory) : null;
            }

            return Ray.CurrentDriverJobId;
        }
    }

    /// <summary>The submitter of the running actor instance's calls, which knows the instance (null outside one).</summary>
    private static Actors.ActorCaller? CurrentActor => TaskContext.Current?.Submitter is Actors.ActorCaller { Actor: not null } caller ? caller : null;

    /// <summary>The running code's environment variables (Ray's <c>runtime_env.env_vars</c>): those of its job
    /// (<see cref="RuntimeEnv.EnvVars"/> of the driver that started it), with those of the running task's or actor's own
    /// runtime env set over them (<see cref="TaskOptions.EnvVars"/>, <see cref="ActorOptions.EnvVars"/>, inherited from
    /// the work that submitted it). In a task or actor method, and in the driver (its job's). Empty outside any job.</summary>
    /// <remarks>Nodes run many jobs' code in one process, so these are not in <see cref="Environment"/>; read them here
    /// or with <see cref="GetEnvironmentVariable"/>.</remarks>
    public static IReadOnlyDictionary<string, string> EnvVars => JobScope.Merge(JobEnvVars, OwnEnvVars) ?? Empty;

    /// <summary>The variables the job's code package carries (a connected driver's job), else null.</summary>
    private static IReadOnlyDictionary<string, string>? JobEnvVars => CodeScope.Current?.EnvVars ?? NodeRuntime.Current?.Copier.DriverCode?.EnvVars;

    /// <summary>The running task's or actor's own variables (with those of a driver that ships no package), or in driver
    /// code that driver's; read without making the task's context.</summary>
    private static IReadOnlyDictionary<string, string>? OwnEnvVars =>
        TaskContext.IsSet ? TaskContext.CurrentJob?.EnvVars : (NodeRuntime.Current ?? Ray.CurrentDriverRuntime)?.Options.DriverEnvVars;

    /// <summary>The folder holding the running job's working dir (Ray's <c>runtime_env.working_dir</c>, from
    /// <see cref="RuntimeEnv.WorkingDir"/> of the driver that started the job), full path: inside a task or actor method
    /// of a connected driver's job, the node's own copy of it, unpacked the first time the node ran something of the job;
    /// in that driver, and in an embedded node's tasks, the driver's folder itself. Null when the job has none (or
    /// outside any job).</summary>
    /// <remarks>Ray makes the working dir the worker's current directory. Nodes here run many jobs' code in one process,
    /// so the process's current directory stays the node's: open a job's file as
    /// <c>Path.Combine(RayContext.WorkingDirectory!, "data.csv")</c>, not by a relative path. Jobs with the same files
    /// share a node's copy: treat it as read-only.</remarks>
    public static string? WorkingDirectory =>
        CodeScope.Current is { } job ? job.WorkingDirectory : (NodeRuntime.Current ?? Ray.CurrentDriverRuntime)?.Options.DriverWorkingDirectory;

    /// <summary>The running code's value of environment variable <paramref name="name"/> (<see cref="EnvVars"/>: its
    /// own runtime env's, else its job's), else the process's (<see cref="Environment.GetEnvironmentVariable(string)"/>), else null.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public static string? GetEnvironmentVariable(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        // Looked up layer by layer: merging the two dictionaries for one read would copy them on every call.
        return OwnEnvVars?.GetValueOrDefault(name) ?? JobEnvVars?.GetValueOrDefault(name) ?? Environment.GetEnvironmentVariable(name);
    }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();
}
