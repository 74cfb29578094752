using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;
using OrleansRay.Code;

namespace OrleansRay.Execution;

/// <summary>A remote function, actor method lambda or actor constructor, compiled once into a fast invoker.</summary>
/// <remarks>
/// The invoker takes the arguments as an object array (for actor methods the actor instance first) and returns a
/// <see cref="ValueTask{TResult}"/> that is already complete for synchronous functions, so the hot path allocates nothing
/// beyond the boxed result. Expression-compiled delegates do not wrap exceptions in TargetInvocationException.
/// </remarks>
internal sealed class CompiledFunction
{
    private readonly Func<object?[], ValueTask<object?>> _invoker;

    private CompiledFunction(MethodBase method, FunctionDescriptor descriptor, Func<object?[], ValueTask<object?>> invoker, Type[] parameterTypes, Type resultType, JobSerializer? code)
    {
        Code = code;
        Method = method;
        Descriptor = descriptor;
        _invoker = invoker;
        ParameterTypes = parameterTypes;
        ResultType = resultType;
        DisplayName = LambdaNames.Describe(method, descriptor.DisplayName);
    }

    public MethodBase Method { get; }

    /// <summary>How long its last run took when it returned without awaiting anything (Stopwatch ticks; long.MaxValue
    /// before its first run and after a run that went async).</summary>
    private long _lastRunTicks = long.MaxValue;

    /// <summary>The longest last run a waiting driver may take on its own thread (50 µs: as long as it would spin for
    /// the result anyway).</summary>
    internal static readonly long ShortRunTicks = System.Diagnostics.Stopwatch.Frequency / 20_000;

    /// <summary>True when its last run returned without awaiting, within <see cref="ShortRunTicks"/>: a driver waiting
    /// for a run of it may run it on its own thread (<see cref="Ownership.IPendingWork.TryRunHere"/>) and block no
    /// longer than its spin would have.</summary>
    public bool RanShortLastTime => Volatile.Read(ref _lastRunTicks) <= ShortRunTicks;

    /// <summary>Records how long a run took (<see cref="Invoker"/>); long.MaxValue for one that went async.</summary>
    public void RecordRun(long ticks) => Volatile.Write(ref _lastRunTicks, ticks);

    /// <summary>The serializer of the job whose code package holds the method (on a node running that job's code);
    /// null for code the node has itself. The invoker runs the method in this job's <see cref="CodeScope"/>.</summary>
    public JobSerializer? Code { get; }

    public FunctionDescriptor Descriptor { get; }

    /// <summary>Parameter types as the invoker expects its argument array (actor instance first for actor methods; without a
    /// generator's trailing <see cref="CancellationToken"/>, which the invoker fills in).</summary>
    public Type[] ParameterTypes { get; }

    /// <summary>The value type the caller reads (T of T, Task&lt;T&gt; or ValueTask&lt;T&gt;; <see cref="Unit"/> for void, Task
    /// and ValueTask; the class for constructors).</summary>
    public Type ResultType { get; }

    /// <summary>"Type.Method" for people: a lambda shows the method it calls.</summary>
    public string DisplayName { get; }

    /// <summary>This function as the job code of package <paramref name="packageId"/>: the same invoker, its descriptor
    /// naming the package (a driver stamps its job's package on the functions of the code it shipped).</summary>
    public CompiledFunction WithPackage(string packageId) =>
        new(Method, Descriptor with { Code = packageId }, _invoker, ParameterTypes, ResultType, Code);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ValueTask<object?> InvokeAsync(object?[] args) => _invoker(args);

    /// <summary>Compiles <paramref name="method"/>; <paramref name="target"/> is the closure singleton for lambdas, else null;
    /// <paramref name="code"/> the serializer of the job code package holding it, or null.</summary>
    public static CompiledFunction Compile(MethodBase method, object? target, JobSerializer? code)
    {
        var parameters = method.GetParameters();
        var argsParam = Expression.Parameter(typeof(object?[]), "args");
        var callArgs = new Expression[parameters.Length];
        var takesToken = TakesRunToken(method, parameters);
        for (var i = 0; i < parameters.Length; i++)
        {
            var pt = parameters[i].ParameterType;
            if (pt.IsByRef)
            {
                throw new ArgumentException($"{method.DeclaringType?.Name}.{method.Name} has a ref/out parameter '{parameters[i].Name}'; remote functions take values.");
            }

            callArgs[i] = takesToken && i == parameters.Length - 1
                ? Expression.Call(typeof(CompiledFunction).GetMethod(nameof(RunToken), BindingFlags.Static | BindingFlags.NonPublic)!)
                : Expression.Convert(Expression.ArrayIndex(argsParam, Expression.Constant(i)), pt);
        }

        Expression body;
        Type resultType;
        if (method is ConstructorInfo ctor)
        {
            body = Expression.Convert(Expression.New(ctor, callArgs), typeof(object));
            body = Expression.New(typeof(ValueTask<object?>).GetConstructor(new[] { typeof(object) })!, body);
            resultType = ctor.DeclaringType!;
        }
        else
        {
            var mi = (MethodInfo)method;
            Expression call = mi.IsStatic
                ? Expression.Call(mi, callArgs)
                : Expression.Call(Expression.Constant(target, mi.DeclaringType!), mi, callArgs);
            (body, resultType) = WrapResult(call, mi.ReturnType, $"{mi.DeclaringType?.Name}.{mi.Name}");
        }

        var invoker = Expression.Lambda<Func<object?[], ValueTask<object?>>>(body, argsParam).Compile();
        // Job code on a node names its package; a driver's own code is stamped with its job's package when it is sent
        // (NodeRuntime.ForJob), so one compiled function serves every job of the process.
        var descriptor = FunctionDescriptor.For(method) with { Code = DriverCode.PackageOf(method.DeclaringType!.Assembly) };
        var parameterTypes = parameters.Select(p => p.ParameterType).Take(parameters.Length - (takesToken ? 1 : 0)).ToArray();
        return new CompiledFunction(method, descriptor, invoker, parameterTypes, resultType, code);
    }

    /// <summary>True for a streaming generator (a method returning <see cref="IAsyncEnumerable{T}"/>) whose last
    /// parameter is a <see cref="CancellationToken"/>, C#'s usual shape with <c>[EnumeratorCancellation]</c>: the
    /// invoker passes the run's token there (<see cref="RunToken"/>), and its argument array holds the others only.</summary>
    private static bool TakesRunToken(MethodBase method, ParameterInfo[] parameters) =>
        parameters.Length > 0 && parameters[^1].ParameterType == typeof(CancellationToken)
        && method is MethodInfo { ReturnType: { IsGenericType: true } returnType }
        && returnType.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>);

    /// <summary>The running task's or actor call's cancellation token (what <c>RayContext.CancellationToken</c> gives),
    /// <see cref="CancellationToken.None"/> outside one.</summary>
    private static CancellationToken RunToken() => TaskContext.Current?.CancellationToken ?? CancellationToken.None;

    private static (Expression Body, Type ResultType) WrapResult(Expression call, Type returnType, string name)
    {
        // A function that returns nothing gives Unit (Ray's None) once it has finished: a value every reader can read,
        // and pass on to a parameter of type Unit.
        if (returnType == typeof(void))
        {
            return (Expression.Block(call, Expression.Field(null, typeof(ResultAdapters).GetField(nameof(ResultAdapters.Done))!)), typeof(Unit));
        }

        if (returnType == typeof(Task))
        {
            return (Expression.Call(typeof(ResultAdapters).GetMethod(nameof(ResultAdapters.FromTask))!, call), typeof(Unit));
        }

        if (returnType == typeof(ValueTask))
        {
            return (Expression.Call(typeof(ResultAdapters).GetMethod(nameof(ResultAdapters.FromValueTask))!, call), typeof(Unit));
        }

        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>))
        {
            var t = returnType.GetGenericArguments()[0];
            return (Expression.Call(typeof(ResultAdapters).GetMethod(nameof(ResultAdapters.FromTaskOf))!.MakeGenericMethod(t), call), t);
        }

        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            var t = returnType.GetGenericArguments()[0];
            return (Expression.Call(typeof(ResultAdapters).GetMethod(nameof(ResultAdapters.FromValueTaskOf))!.MakeGenericMethod(t), call), t);
        }

        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>))
        {
            // A streaming generator when run as one (GeneratorRunner), else the enumerable itself.
            var t = returnType.GetGenericArguments()[0];
            return (Expression.Call(typeof(GeneratorRunner).GetMethod(nameof(GeneratorRunner.FromAsyncEnumerable))!.MakeGenericMethod(t), call), returnType);
        }

        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(IEnumerable<>))
        {
            var t = returnType.GetGenericArguments()[0];
            return (Expression.Call(typeof(GeneratorRunner).GetMethod(nameof(GeneratorRunner.FromEnumerable))!.MakeGenericMethod(t), call), returnType);
        }

        _ = name;
        var boxed = Expression.Convert(call, typeof(object));
        return (Expression.New(typeof(ValueTask<object?>).GetConstructor(new[] { typeof(object) })!, boxed), returnType);
    }
}
