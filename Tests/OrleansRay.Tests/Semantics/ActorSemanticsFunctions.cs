using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Functions;

namespace OrleansRay.Tests.Semantics;

/// <summary>Remote functions of the actor-semantics tests (issue 9): gated so no test depends on timing.</summary>
public static class ActorSemanticsFunctions
{
    /// <summary>How long a gate is waited for before the function gives up (a failing test must still end).</summary>
    private static readonly TimeSpan GateLimit = TimeSpan.FromSeconds(60);

    /// <summary>Returns <paramref name="value"/> once the gate opens.</summary>
    public static int ValueWhenOpen(string gate, int value)
    {
        Gates.Get(gate).Wait(GateLimit);
        return value;
    }

    /// <summary>A task that calls the actor itself and waits for the result.</summary>
    public static async Task<int> RecordFromTask(ActorHandle<Recorder> recorder, int value) =>
        await recorder.Task((r, v) => r.Record(v), value).Remote();

    /// <summary>A task that calls the actor with an argument that is ready only once the gate opens.</summary>
    public static async Task<int> RecordWhenOpen(ActorHandle<Recorder> recorder, string gate)
    {
        var slow = Ray.Current.Task(ValueWhenOpen, gate, 1).Remote();
        var call = recorder.Task((r, v) => r.Record(v), slow).Remote();
        Gates.Get(gate + ".called").Set();
        return await call;
    }

    /// <summary>A task that fails.</summary>
    public static int Fail() => throw new InvalidOperationException("this argument failed");
}

/// <summary>Actors of the actor-semantics tests.</summary>
public sealed class Waiter
{
    private readonly int _instance = Counters.Increment("semantics.waiter.instances");

    /// <summary>Blocks its thread until the gate opens (a call that does not return while the test runs).</summary>
    public int Block(string gate)
    {
        Gates.Get(gate + ".entered").Set();
        Gates.Get(gate).Wait(TimeSpan.FromSeconds(60));
        return 1;
    }

    /// <summary>Waits on RayContext.CancellationToken (or the gate, which the test opens when it ends, so a failing
    /// test leaves no call running); tells the test when it was cancelled.</summary>
    public async Task<int> WaitForCancel(string gate)
    {
        Gates.Get(gate + ".entered").Set();
        var token = RayContext.CancellationToken;
        try
        {
            await Task.Run(() => Gates.Get(gate).Wait(TimeSpan.FromSeconds(60), token));
            return 0;
        }
        catch (OperationCanceledException)
        {
            Gates.Get(gate + ".cancelled").Set();
            throw;
        }
    }

    /// <summary>Which construction of this class this instance is.</summary>
    public int Instance() => _instance;
}

/// <summary>An actor that calls a Recorder itself (an actor is a submitter of its own).</summary>
public sealed class RecorderCaller
{
    private readonly ActorHandle<Recorder> _recorder;

    public RecorderCaller(ActorHandle<Recorder> recorder) => _recorder = recorder;

    public async Task<int> Record(int value) => await _recorder.Task((r, v) => r.Record(v), value).Remote();
}
