using System.Diagnostics;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>Issue 9, case 7: results travel to their owner in batches; one result (or exception) that cannot be
/// serialized fails its own task with a serialization error, and every other result of its batch still arrives
/// (Ray: the one task fails, the rest succeed). Three nodes in this process and a connected driver, so every task runs
/// on a node other than its owner (the driver) and its result crosses the wire.</summary>
public sealed class BatchFailureTests : IAsyncLifetime
{
    /// <summary>Generous for 2,000 tiny tasks on a loaded 2-core machine; a lost result shows as this running out.</summary>
    private static readonly TimeSpan ResultDeadline = TimeSpan.FromSeconds(120);

    /// <summary>The task whose result cannot be serialized.</summary>
    private const int Bad = 777;

    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (2, null), (2, null));
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    /// <summary>Returns its input, except for <see cref="Bad"/>: a <see cref="Process"/> (Orleans has no codec for it).</summary>
    public static object NumberOrProcess(int i) => i == Bad ? Process.GetCurrentProcess() : i;

    /// <summary>Returns its input, except for <see cref="Bad"/>: throws an exception whose type holds a value that
    /// cannot be serialized. Not inlined: the test looks for this method in the remote stack trace, and a Release build
    /// would otherwise fold it into its caller.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public static int NumberOrThrow(int i) => i == Bad ? throw new ProcessHoldingException("bad input " + i) : i;

    [Fact]
    public async Task One_unserializable_result_fails_its_task_alone_and_every_other_result_arrives()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var spread = new TaskOptions { SchedulingStrategy = SchedulingStrategy.Spread };

        var refs = Enumerable.Range(0, 2000).Select(i => ray.Task(NumberOrProcess, i).Options(spread).Remote()).ToList();

        var error = await Assert.ThrowsAsync<RayTaskException>(async () => await ray.GetAsync(refs[Bad], ResultDeadline));
        Assert.Contains("cannot be serialized", error.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(Process).FullName!, error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(NumberOrProcess), error.Message, StringComparison.Ordinal);
        var others = refs.Where((_, i) => i != Bad).ToArray();
        var values = await ray.GetAsync(others, ResultDeadline);
        Assert.Equal(Enumerable.Range(0, 2000).Where(i => i != Bad).Select(i => (object)i), values);
    }

    /// <summary>Returns its input, except for <see cref="Bad"/>: a delegate, of a generic type from a System namespace
    /// over primitives (Orleans has no codec for it, though it can hold nothing but primitives).</summary>
    public static object NumberOrDelegate(int i) => i == Bad ? new Func<int>(() => 1) : i;

    [Fact]
    public async Task One_result_of_a_framework_generic_type_without_a_codec_fails_its_task_alone()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var spread = new TaskOptions { SchedulingStrategy = SchedulingStrategy.Spread };

        var refs = Enumerable.Range(0, 2000).Select(i => ray.Task(NumberOrDelegate, i).Options(spread).Remote()).ToList();

        var error = await Assert.ThrowsAsync<RayTaskException>(async () => await ray.GetAsync(refs[Bad], ResultDeadline));
        Assert.Contains("cannot be serialized", error.Message, StringComparison.Ordinal);
        var values = await ray.GetAsync(refs.Where((_, i) => i != Bad).ToArray(), ResultDeadline);
        Assert.Equal(Enumerable.Range(0, 2000).Where(i => i != Bad).Select(i => (object)i), values);
    }

    /// <remarks>In this process the actor's results reach the driver without a wire (both runtimes live here), so this
    /// checks the same rule on that path: the bad call fails with the serialization error, the others answer.</remarks>
    [Fact]
    public async Task One_unserializable_actor_result_fails_its_call_alone_and_the_other_calls_answer()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var actor = ray.Actor(() => new ProcessMaker()).Remote();

        var refs = Enumerable.Range(0, 1000).Select(i => actor.Task((a, k) => a.NumberOrProcess(k), i).Remote()).ToList();

        var error = await Assert.ThrowsAsync<RayTaskException>(async () => await ray.GetAsync(refs[Bad], ResultDeadline));
        Assert.Contains("cannot be serialized", error.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(Process).FullName!, error.Message, StringComparison.Ordinal);
        var values = await ray.GetAsync(refs.Where((_, i) => i != Bad).ToArray(), ResultDeadline);
        Assert.Equal(Enumerable.Range(0, 1000).Where(i => i != Bad).Select(i => (object)i), values);
    }

    /// <summary>Returns its input's number (the holder's process is never touched).</summary>
    public static int NumberOf(ImmutableHolder holder) => holder.Number;

    [Fact]
    public async Task One_argument_that_cannot_be_serialized_fails_its_task_alone_and_its_batch_mates_run()
    {
        // A driver that ships no code sends its values in the nodes' serializer: the batch is where such a value fails.
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken, RuntimeEnv = new RuntimeEnv { ShipCode = false } });
        var spread = new TaskOptions { SchedulingStrategy = SchedulingStrategy.Spread };

        // [Immutable] passes the copy at Remote() (Orleans shares immutable values) but has no codec for the wire.
        var refs = Enumerable.Range(0, 2000)
            .Select(i => ray.Task(NumberOf, new ImmutableHolder(i, i == Bad ? Process.GetCurrentProcess() : null)).Options(spread).Remote())
            .ToList();

        var error = await Assert.ThrowsAsync<RayTaskException>(async () => await ray.GetAsync(refs[Bad], ResultDeadline));
        Assert.Contains("could not be sent", error.Message, StringComparison.Ordinal);
        var values = await ray.GetAsync(refs.Where((_, i) => i != Bad).ToArray(), ResultDeadline);
        Assert.Equal(Enumerable.Range(0, 2000).Where(i => i != Bad), values);
    }

    [Fact]
    public async Task A_driver_that_ships_its_code_refuses_an_argument_that_cannot_be_serialized_at_Remote()
    {
        // Shipping code (the default for a connected driver), the driver packs each value with its job's serializer
        // where it is passed in: even an [Immutable] value that no codec can write is refused there, naming its type.
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });

        var error = Assert.Throws<ArgumentException>(() => ray.Task(NumberOf, new ImmutableHolder(1, Process.GetCurrentProcess())).Remote());

        Assert.Contains(typeof(ImmutableHolder).FullName!, error.Message, StringComparison.Ordinal);
        Assert.Equal(2, await ray.GetAsync(ray.Task(NumberOf, new ImmutableHolder(2, null)).Remote(), ResultDeadline));
    }

    [Fact]
    public async Task One_actor_call_whose_argument_cannot_be_serialized_fails_alone_and_the_later_calls_run()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken, RuntimeEnv = new RuntimeEnv { ShipCode = false } });
        var actor = ray.Actor(() => new ProcessMaker()).Remote();

        var refs = Enumerable.Range(0, 1000)
            .Select(i => actor.Task((a, h) => a.NumberOf(h), new ImmutableHolder(i, i == Bad ? Process.GetCurrentProcess() : null)).Remote())
            .ToList();

        var error = await Assert.ThrowsAsync<RayTaskException>(async () => await ray.GetAsync(refs[Bad], ResultDeadline));
        Assert.Contains("could not be sent", error.Message, StringComparison.Ordinal);
        var values = await ray.GetAsync(refs.Where((_, i) => i != Bad).ToArray(), ResultDeadline);
        Assert.Equal(Enumerable.Range(0, 1000).Where(i => i != Bad), values);
    }

    [Fact]
    public async Task An_exception_whose_type_cannot_be_serialized_arrives_as_a_task_error_with_its_type_message_and_stack()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var spread = new TaskOptions { SchedulingStrategy = SchedulingStrategy.Spread };

        var refs = Enumerable.Range(0, 2000).Select(i => ray.Task(NumberOrThrow, i).Options(spread).Remote()).ToList();

        var error = await Assert.ThrowsAsync<RayTaskException>(async () => await ray.GetAsync(refs[Bad], ResultDeadline));
        Assert.Contains(typeof(ProcessHoldingException).FullName!, error.Message, StringComparison.Ordinal);
        Assert.Contains("bad input 777", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(NumberOrThrow), error.Error!.RemoteStackTrace, StringComparison.Ordinal);
        var values = await ray.GetAsync(refs.Where((_, i) => i != Bad).ToArray(), ResultDeadline);
        Assert.Equal(Enumerable.Range(0, 2000).Where(i => i != Bad), values);
    }
}

/// <summary>An exception type Orleans cannot serialize: it holds a <see cref="Process"/>.</summary>
public sealed class ProcessHoldingException : Exception
{
    public ProcessHoldingException(string message) : base(message)
    {
        Holder = Process.GetCurrentProcess();
    }

    public ProcessHoldingException()
    {
        Holder = Process.GetCurrentProcess();
    }

    public ProcessHoldingException(string message, Exception innerException) : base(message, innerException)
    {
        Holder = Process.GetCurrentProcess();
    }

    /// <summary>The value that cannot be serialized.</summary>
    public Process Holder { get; }
}

/// <summary>An actor whose method returns a value that cannot be serialized for one input.</summary>
public sealed class ProcessMaker
{
    public object NumberOrProcess(int i) => i == 777 ? Process.GetCurrentProcess() : i;

    public int NumberOf(ImmutableHolder holder) => holder.Number;
}

/// <summary>An argument Orleans copies (it is immutable: shared, not copied) but cannot serialize when its payload is a
/// process.</summary>
[GenerateSerializer, Immutable]
public sealed class ImmutableHolder
{
    public ImmutableHolder(int number, object? payload)
    {
        Number = number;
        Payload = payload;
    }

    [Id(0)]
    public int Number { get; }

    [Id(1)]
    public object? Payload { get; }
}
