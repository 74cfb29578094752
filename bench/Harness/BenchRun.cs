namespace OrleansRay.Bench.Harness;

/// <summary>Per-run context: lets a benchmark report companion figures measured in the same run.</summary>
internal sealed class BenchRun
{
    private readonly Dictionary<string, (double Value, string Unit)> _companions = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, (double Value, string Unit)> Companions => _companions;

    /// <summary>Records a companion figure (e.g. "single node 1M queued tasks peak memory", "MiB").</summary>
    public void Report(string name, double value, string unit) => _companions[name] = (value, unit);
}
