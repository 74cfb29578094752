namespace OrleansRay.Execution;

/// <summary>A function descriptor could not be resolved on this node. Becomes a <see cref="RayErrorKind.FunctionUnavailable"/> error.</summary>
internal sealed class FunctionUnavailableException : Exception
{
    public FunctionUnavailableException(string message) : base(message)
    {
    }

    public FunctionUnavailableException(string message, Exception inner) : base(message, inner)
    {
    }
}
