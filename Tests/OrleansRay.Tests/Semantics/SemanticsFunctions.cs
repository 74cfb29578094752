using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Functions;

namespace OrleansRay.Tests.Semantics;

/// <summary>Remote functions for the issue 9 semantics tests (Ray's behaviour under stress).</summary>
public static class SemanticsFunctions
{
    /// <summary>How long a gated function waits before giving up: far beyond any test deadline, so a test sees a
    /// stall as a stall, yet no worker thread is left blocked for ever when a test fails.</summary>
    private static readonly TimeSpan GateLimit = TimeSpan.FromSeconds(120);

    /// <summary>Blocks its worker thread until the gate opens; true when it opened (false: it gave up). Opens the gate
    /// "{gate}.started" first, so a test knows it is running.</summary>
    public static bool WaitOnGate(string gate)
    {
        Gates.Get(gate + ".started").Set();
        return Gates.Get(gate).Wait(GateLimit);
    }

    /// <summary>Opens two gates.</summary>
    public static int OpenGates(string first, string second)
    {
        Gates.Get(first).Set();
        Gates.Get(second).Set();
        return 2;
    }

    /// <summary>Returns <paramref name="value"/> once the gate opens.</summary>
    public static int ReturnWhenGateOpens(string gate, int value) =>
        Gates.Get(gate).Wait(GateLimit) ? value : throw new TimeoutException($"gate {gate} never opened");

    /// <summary>Makes <paramref name="times"/> actor calls, blocking the worker thread on each result.</summary>
    public static int BlockingActorCalls(ActorHandle<Counter> counter, int times)
    {
        var last = 0;
        for (var i = 0; i < times; i++)
        {
            last = counter.Task(c => c.Increment()).Remote().GetAwaiter().GetResult();
        }

        return last;
    }

    /// <summary>A zero-CPU task that submits a zero-CPU child and blocks its worker thread on the child's result.</summary>
    public static int BlockOnZeroCpuChild(int x) =>
        Ray.Current.Task(TestFunctions.Square, x).Options(new TaskOptions { NumCpus = 0 }).Remote().GetAwaiter().GetResult();

    /// <summary>Returns the refs it was given (inside a value).</summary>
    public static List<ObjectRef<int>> EchoRefs(List<ObjectRef<int>> refs) => refs;
}
