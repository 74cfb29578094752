using System.Runtime.ExceptionServices;

namespace OrleansRay;

/// <summary>The function or actor method threw. <see cref="Exception.InnerException"/> is the original exception when
/// it could be kept (same process) — otherwise read <see cref="OriginalExceptionType"/> and <see cref="RemoteStackTrace"/>,
/// which <see cref="Exception.StackTrace"/> and <see cref="Exception.ToString"/> then show before the reader's own frames.</summary>
[GenerateSerializer, Alias("orleansray.RayTaskException")]
public sealed class RayTaskException : RayException
{
    internal RayTaskException(RayError error)
        : base(error, Describe(error), error.Original)
    {
        FunctionName = error.FunctionName;
        OriginalExceptionType = error.ExceptionType;
        RemoteStackTrace = error.RemoteStackTrace;
        OriginalMessage = error.Message;
        OriginalExceptionTypes = error.ExceptionTypes;
        if (error.Original is null && error.RemoteStackTrace.Length > 0)
        {
            // No original to show as the inner exception (it was thrown in another process): its text, causes included,
            // is this exception's remote stack trace, as .NET shows an exception rethrown from elsewhere.
            ExceptionDispatchInfo.SetRemoteStackTrace(this, error.RemoteStackTrace);
        }
    }

    /// <summary>The function or actor method that threw, as "Type.Method".</summary>
    [Id(0)] public string FunctionName { get; private set; }

    /// <summary>Full name of the original exception's type.</summary>
    [Id(1)] public string OriginalExceptionType { get; private set; }

    /// <summary>The original exception as text on the node that ran it, its <see cref="Exception.ToString"/>: type,
    /// message, inner exceptions and stack traces; for a failure that a task or actor method rethrew by awaiting it, then
    /// where each rethrew it.</summary>
    [Id(2)] public string RemoteStackTrace { get; private set; }

    /// <summary>The original exception's message.</summary>
    [Id(3)] public string OriginalMessage { get; private set; }

    /// <summary>Full names of the original exception's type and its base types up to <see cref="Exception"/>, most
    /// derived first: what <see cref="Is{TException}"/> compares in a process where the original is not.</summary>
    [Id(4)] public IReadOnlyList<string> OriginalExceptionTypes { get; private set; }

    /// <summary>True when the original exception is a <typeparamref name="TException"/> or derives from it, as Ray's
    /// <c>RayTaskError</c> is an instance of the user's exception class, so a failure is caught by the type it was thrown
    /// as: <c>catch (RayTaskException e) when (e.Is&lt;ArgumentException&gt;())</c>.</summary>
    /// <remarks>With the original at hand (<see cref="Exception.InnerException"/>, same process) its type decides; from
    /// another process the full names of its type and base types do (<see cref="OriginalExceptionTypes"/>). Interfaces
    /// are not compared.</remarks>
    public bool Is<TException>()
        where TException : Exception => Is(typeof(TException));

    /// <summary>True when the original exception is an <paramref name="exceptionType"/> or derives from it (see <see cref="Is{TException}"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="exceptionType"/> is null.</exception>
    public bool Is(Type exceptionType)
    {
        ArgumentNullException.ThrowIfNull(exceptionType);
        if (Error?.Original is { } original)
        {
            return exceptionType.IsInstanceOfType(original);
        }

        var name = exceptionType.FullName ?? exceptionType.Name;
        foreach (var type in OriginalExceptionTypes)
        {
            if (string.Equals(type, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(RayError error) =>
        $"{(error.FunctionName.Length > 0 ? error.FunctionName : "A task or actor call")} failed with {error.ExceptionType}: {error.Message}"
        + (error.RethrownBy.Length > 0 ? $" (rethrown by {error.RethrownBy})" : string.Empty);
}
