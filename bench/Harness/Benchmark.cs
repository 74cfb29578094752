namespace OrleansRay.Bench.Harness;

/// <summary>One measured figure of the harness, named exactly as Ray names it (or as the issue names a baseline).</summary>
/// <remarks>
/// The harness creates each benchmark once, calls <see cref="SetupAsync"/>, then <see cref="MeasureAsync"/>
/// <see cref="Warmups"/> times unrecorded (more while <see cref="WarmupTime"/> has not passed) and <see cref="Runs"/>
/// times recorded, and reports the median. Each row starts on a heap collected of what the rows before it left.
/// A benchmark may report companion figures (for example peak memory next to a duration) through
/// <see cref="BenchRun.Report"/>; their medians are reported under their own names.
/// </remarks>
internal abstract class Benchmark
{
    /// <summary>The exact JSON name, e.g. "single client tasks async".</summary>
    public abstract string Name { get; }

    /// <summary>The unit: "/s", "GB/s", "ms", "s" or "MiB".</summary>
    public abstract string Unit { get; }

    /// <summary>Free-form group used to order the table ("tasks", "actors", "objects", "baseline").</summary>
    public virtual string Group => "core";

    /// <summary>Recorded runs; the median is reported. Default: 5.</summary>
    public virtual int Runs => 5;

    /// <summary>Unrecorded warm-up runs. Default: 1.</summary>
    public virtual int Warmups => 1;

    /// <summary>The least time the unrecorded runs take together: after <see cref="Warmups"/> runs, more follow until
    /// this much has passed since the first began. Default: zero (only <see cref="Warmups"/>).</summary>
    public virtual TimeSpan WarmupTime => TimeSpan.Zero;

    public virtual Task SetupAsync(BenchEnvironment environment) => Task.CompletedTask;

    /// <summary>Performs one run and returns its figure in <see cref="Unit"/>.</summary>
    public abstract Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run);

    public virtual Task CleanupAsync() => Task.CompletedTask;
}
