namespace OrleansRay.Bench.Harness;

/// <summary>One measured figure of the harness, named exactly as Ray names it (or as the issue names a baseline).</summary>
/// <remarks>
/// The harness creates each benchmark once, calls <see cref="SetupAsync"/>, then <see cref="MeasureAsync"/>
/// <see cref="Warmups"/> times unrecorded and <see cref="Runs"/> times recorded, and reports the median.
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

    public virtual Task SetupAsync(BenchEnvironment environment) => Task.CompletedTask;

    /// <summary>Performs one run and returns its figure in <see cref="Unit"/>.</summary>
    public abstract Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run);

    public virtual Task CleanupAsync() => Task.CompletedTask;
}
