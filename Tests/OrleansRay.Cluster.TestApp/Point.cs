namespace OrleansRay.Cluster.TestApp;

/// <summary>A user type with an Orleans-generated serializer, known to a node only through --load.</summary>
[GenerateSerializer, Alias("orleansray.testapp.point")]
public sealed record Point([property: Id(0)] int X, [property: Id(1)] int Y, [property: Id(2)] string? Node = null);
