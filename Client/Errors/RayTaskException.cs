namespace OrleansRay;

/// <summary>The function or actor method threw. <see cref="Exception.InnerException"/> is the original exception when
/// it could be kept (same process) — otherwise read <see cref="OriginalExceptionType"/> and <see cref="RemoteStackTrace"/>.</summary>
[GenerateSerializer, Alias("orleansray.RayTaskException")]
public sealed class RayTaskException : RayException
{
    internal RayTaskException(RayError error)
        : base(error, $"{(error.FunctionName.Length > 0 ? error.FunctionName : "A task or actor call")} failed with {error.ExceptionType}: {error.Message}", error.Original)
    {
        FunctionName = error.FunctionName;
        OriginalExceptionType = error.ExceptionType;
        RemoteStackTrace = error.RemoteStackTrace;
        OriginalMessage = error.Message;
    }

    /// <summary>The function or actor method that threw, as "Type.Method".</summary>
    [Id(0)] public string FunctionName { get; private set; }

    /// <summary>Full name of the original exception's type.</summary>
    [Id(1)] public string OriginalExceptionType { get; private set; }

    /// <summary>The stack trace where the original was thrown, on the node that ran it.</summary>
    [Id(2)] public string RemoteStackTrace { get; private set; }

    /// <summary>The original exception's message.</summary>
    [Id(3)] public string OriginalMessage { get; private set; }
}
