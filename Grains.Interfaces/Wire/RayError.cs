namespace OrleansRay;

/// <summary>A failure captured as strings at the point where it happened, so it crosses any wire.</summary>
/// <remarks>
/// <see cref="Original"/> keeps the thrown exception object when the error stays in one process; it is not serialized,
/// so a remote reader rebuilds only what the strings say (the design note on user exceptions).
/// </remarks>
[GenerateSerializer, Immutable, Alias("orleansray.error")]
public sealed class RayError
{
    /// <summary>What kind of failure this is.</summary>
    [Id(0)] public RayErrorKind Kind { get; init; }

    /// <summary>The function or actor method that failed, as "Type.Method"; empty when none ran.</summary>
    [Id(1)] public string FunctionName { get; init; } = string.Empty;

    /// <summary>Full name of the original exception's type.</summary>
    [Id(2)] public string ExceptionType { get; init; } = string.Empty;

    /// <summary>The original message.</summary>
    [Id(3)] public string Message { get; init; } = string.Empty;

    /// <summary>The exception as text where it was thrown: its <see cref="Exception.ToString"/> (type, message, inner
    /// exceptions and stack traces), so its causes reach a reader in another process; for a failure a task or actor method
    /// rethrew (<see cref="RethrownBy"/>), followed by where each rethrew it.</summary>
    [Id(4)] public string RemoteStackTrace { get; init; } = string.Empty;

    /// <summary>The actor the failure concerns, when it concerns one.</summary>
    [Id(5)] public ActorId ActorId { get; init; }

    /// <summary>For an <see cref="RayErrorKind.ObjectLost"/> error of a task whose argument could not be read: that
    /// argument's object (its owner may rebuild it and run the task again); empty otherwise.</summary>
    [Id(6)] public ObjectId LostObject { get; init; }

    /// <summary>For a <see cref="RayErrorKind.TaskFailed"/> error: the tasks or actor methods that failed with it because
    /// they awaited the failed result and let its exception go, innermost first, as "A.M, then B.N"; empty when none did.
    /// <see cref="FunctionName"/> and <see cref="ExceptionType"/> stay those of the code that threw first.</summary>
    [Id(7)] public string RethrownBy { get; init; } = string.Empty;

    /// <summary>Full names of the original exception's type and of each base type up to <see cref="Exception"/>, most
    /// derived first (empty when no exception was thrown): what lets a reader in another process ask whether the
    /// original is of a type it knows (<c>RayTaskException.Is&lt;T&gt;()</c>), as Ray's RayTaskError is an instance of
    /// the user's exception class.</summary>
    [Id(8)] public string[] ExceptionTypes { get; init; } = [];

    /// <summary>The full names of <paramref name="type"/> and its base types up to <see cref="Exception"/> (see <see cref="ExceptionTypes"/>).</summary>
    public static string[] TypeNamesOf(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var names = new List<string>();
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            names.Add(t.FullName ?? t.Name);
        }

        return [.. names];
    }

    /// <summary>The exception object itself, only within the process where it was thrown (not serialized).</summary>
    public Exception? Original { get => _original; init => _original = value; }

    [NonSerialized]
    private readonly Exception? _original;

    /// <summary>Captures <paramref name="exception"/> thrown by <paramref name="functionName"/>.</summary>
    public static RayError FromException(Exception exception, string functionName)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is IRayErrorSource source && source.Error is { } carried)
        {
            // A failure rethrown by the code that awaited it keeps its kind, thrower and type; a task's failure also
            // names the task that rethrew it (Ray's traceback names both), with where it did.
            return carried.Kind == RayErrorKind.TaskFailed && functionName.Length > 0 ? carried.Rethrown(exception, functionName) : carried;
        }

        if (exception is System.Reflection.TargetInvocationException { InnerException: { } inner })
        {
            exception = inner;
        }

        return new RayError
        {
            Kind = RayErrorKind.TaskFailed,
            FunctionName = functionName,
            ExceptionType = exception.GetType().FullName ?? exception.GetType().Name,
            ExceptionTypes = TypeNamesOf(exception.GetType()),
            Message = Read(exception, static e => e.Message),
            RemoteStackTrace = Text(exception),
            Original = exception,
        };
    }

    /// <summary><paramref name="exception"/> as text, inner exceptions included (its <see cref="Exception.ToString"/>):
    /// what <see cref="RemoteStackTrace"/> carries of it.</summary>
    internal static string Text(Exception exception) => Read(exception, static e => e.ToString());

    /// <summary>This error as <paramref name="functionName"/> failed with it, rethrowing <paramref name="exception"/> (which
    /// carries it): the thrower, type and message stay; the rethrower is added to <see cref="RethrownBy"/> and where it
    /// rethrew to <see cref="RemoteStackTrace"/>.</summary>
    private RayError Rethrown(Exception exception, string functionName)
    {
        // Only the rethrower's own frames: its exception's stack trace may begin with this error's remote text.
        var frames = Read(exception, static e => new System.Diagnostics.StackTrace(e, fNeedFileInfo: true).ToString().TrimEnd());
        return new RayError
        {
            Kind = Kind,
            FunctionName = FunctionName,
            ExceptionType = ExceptionType,
            ExceptionTypes = ExceptionTypes,
            Message = Message,
            RemoteStackTrace = $"{RemoteStackTrace}\n   --- rethrown by {functionName} ---\n{frames}",
            ActorId = ActorId,
            LostObject = LostObject,
            RethrownBy = RethrownBy.Length == 0 ? functionName : $"{RethrownBy}, then {functionName}",
            Original = Original,
        };
    }

    /// <summary>A member of a user exception as a string: the exception travels as strings only (whatever its type
    /// holds, serializable or not), and a member that throws must not lose the failure it describes.</summary>
    private static string Read(Exception exception, Func<Exception, string> member)
    {
        try
        {
            return member(exception);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return $"(reading it threw {ex.GetType().Name}: {ex.Message})";
        }
    }

    /// <summary>This error without <see cref="Original"/> (the strings only): for keeping an error longer than the code
    /// whose exception it holds may stay loaded.</summary>
    public RayError WithoutOriginal() => new()
    {
        Kind = Kind,
        FunctionName = FunctionName,
        ExceptionType = ExceptionType,
        ExceptionTypes = ExceptionTypes,
        Message = Message,
        RemoteStackTrace = RemoteStackTrace,
        ActorId = ActorId,
        LostObject = LostObject,
        RethrownBy = RethrownBy,
    };

    /// <summary>A failure that is not an exception thrown by user code.</summary>
    public static RayError Create(RayErrorKind kind, string message, string functionName = "", ActorId actorId = default) =>
        new() { Kind = kind, Message = message, FunctionName = functionName, ActorId = actorId };

    /// <inheritdoc />
    public override string ToString() => $"{Kind}: {FunctionName} {ExceptionType}: {Message}";
}
