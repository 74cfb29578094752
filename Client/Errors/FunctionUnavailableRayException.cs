using OrleansRay.Execution;

namespace OrleansRay;

/// <summary>The node could not find or call the function (assembly not loaded there, different build, wrong arguments).</summary>
[GenerateSerializer, Alias("orleansray.FunctionUnavailableException")]
public sealed class RemoteFunctionNotFoundException : RayException
{
    internal RemoteFunctionNotFoundException(RayError error) : base(error, error.Message)
    {
    }
}
