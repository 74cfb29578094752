namespace OrleansRay.Bench.Harness;

/// <summary>One reported figure: the median of the recorded runs.</summary>
internal sealed record BenchResult(string Name, double Value, string Unit, string Group, double[] Samples);
