namespace OrleansRay.Code;

/// <summary>A job's code could not be made ready on this node: a file could not be fetched, or an assembly did not
/// load (wrong target framework, bad image, a missing dependency). The message names the assembly, the node and the
/// loader's reason.</summary>
internal sealed class CodeLoadException : Exception
{
    public CodeLoadException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
