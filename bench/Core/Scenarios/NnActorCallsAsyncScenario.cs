using System.Diagnostics;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core.Scenarios;

/// <summary>The shape of Ray's "n:n actor calls async": caller tasks each call the actors round-robin without awaiting,
/// then get their results; the driver gets the caller tasks. Counted: actor calls per second. Subclasses choose the
/// driver, how many actors and callers, and where they are placed.</summary>
internal abstract class NnActorCallsAsyncScenario : Benchmark
{
    private IRay? _ray;
    private ActorHandle<BenchActor>[] _actors = Array.Empty<ActorHandle<BenchActor>>();

    public override string Unit => "/s";

    /// <summary>Caller tasks of one run (Ray's m).</summary>
    protected abstract int Callers { get; }

    /// <summary>Actors the callers share (Ray's n).</summary>
    protected abstract int Actors { get; }

    /// <summary>Calls each caller makes in one run (a tenth with --quick).</summary>
    protected abstract int CallsPerCaller { get; }

    /// <summary>Options of the actors; null for the defaults.</summary>
    protected virtual ActorOptions? ActorOptions => null;

    /// <summary>Options of the caller tasks; null for the defaults.</summary>
    protected virtual TaskOptions? CallerOptions => null;

    /// <summary>The driver that creates the actors and submits the callers.</summary>
    protected abstract Task<IRay> DriverAsync(BenchEnvironment environment);

    /// <summary>Checks, once the actors answer, that they are where the benchmark says they are. Default: no check.</summary>
    protected virtual Task CheckPlacementAsync(IRay ray, IReadOnlyList<ActorHandle<BenchActor>> actors) => Task.CompletedTask;

    public override async Task SetupAsync(BenchEnvironment environment)
    {
        _ray = await DriverAsync(environment);
        _actors = new ActorHandle<BenchActor>[Actors];
        for (var i = 0; i < _actors.Length; i++)
        {
            _actors[i] = await BenchActors.CreateAsync(_ray, Name, ActorOptions);
        }

        await CheckPlacementAsync(_ray, _actors).WaitAsync(Measure.StartTimeout);
    }

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var (ray, actors, callerCount, options) = (_ray!, _actors, Callers, CallerOptions);
        var calls = Measure.Count(environment, CallsPerCaller);
        return await Measure.GuardAsync(Name, async () =>
        {
            var callers = new ObjectRef<int>[callerCount];
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < callerCount; i++)
            {
                var call = ray.Task(BenchFunctions.CallActorsRoundRobin, actors, calls);
                callers[i] = (options is null ? call : call.Options(options)).Remote();
            }

            var answered = await ray.GetAsync(callers);
            var elapsed = stopwatch.Elapsed;
            foreach (var ok in answered)
            {
                if (ok != calls)
                {
                    throw new InvalidOperationException($"Benchmark \"{Name}\": a caller task got {ok} expected answers of {calls}.");
                }
            }

            return (double)callerCount * calls / elapsed.TotalSeconds;
        });
    }

    public override Task CleanupAsync() => BenchActors.KillAsync(_ray, Name, _actors);
}
