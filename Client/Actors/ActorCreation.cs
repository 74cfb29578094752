using System.Linq.Expressions;
using System.Reflection;
using OrleansRay.Grains;
using OrleansRay.Internal;
using OrleansRay.Execution;

namespace OrleansRay;

/// <summary>An actor about to be created: set <see cref="Options"/>, then <see cref="Remote"/>.</summary>
/// <typeparam name="TActor">The actor's class.</typeparam>
public readonly struct ActorCreation<TActor> where TActor : class
{
    private readonly IRay _ray;
    private readonly Expression<Func<TActor>> _constructor;
    private readonly ActorOptions? _options;

    internal ActorCreation(IRay ray, Expression<Func<TActor>> constructor, ActorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(ray);
        ArgumentNullException.ThrowIfNull(constructor);
        _ray = ray;
        _constructor = constructor;
        _options = options;
    }

    /// <summary>The same creation with these options.</summary>
    public ActorCreation<TActor> Options(ActorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ActorCreation<TActor>(_ray, _constructor, options);
    }

    /// <summary>Creates the actor and returns its handle at once; calls made through it queue until it is alive.</summary>
    /// <exception cref="ArgumentException">The expression is not a constructor call, an argument cannot be serialized,
    /// or the name is taken by a live actor in the namespace.</exception>
    public ActorHandle<TActor> Remote()
    {
        if (_ray is null)
        {
            throw new InvalidOperationException("This ActorCreation was not created by ray.Actor(...).");
        }

        var runtime = IRayRuntimeAccess.Live(_ray);
        // The actor is its creator's job's: the driver's, or that of the task or actor method creating it (Ray's job_id);
        // it dies when that job ends unless detached.
        var job = runtime.SubmittingJob;
        var options = _options ?? new ActorOptions();
        options.Validate();
        var envVars = JobScope.EnvVarsForNewWork(runtime.Options.DriverEnvVars, options.EnvVars); // its own over its creator's (Ray's inherited runtime env)
        var (ctor, values) = Parse(_constructor);
        var constructor = runtime.ForJob(FunctionRegistry.ForConstructor(ctor));
        var args = new TaskArg[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            args[i] = values[i] is ObjectRef r
                ? ArgumentPacker.Ref(r)
                : ArgumentPacker.PackValue(runtime, values[i], $"constructor argument {i + 1} of {typeof(TActor).Name}");
        }

        var actorId = ActorId.NewId();
        var className = typeof(TActor).FullName ?? typeof(TActor).Name;
        var data = options.ToData(_ray.Namespace, typeof(TActor).IsDefined(typeof(AsyncActorAttribute), inherit: true), envVars);

        if (!string.IsNullOrEmpty(data.Name))
        {
            var info = new ActorInfo(actorId, data.Name, data.Namespace, className, ActorState.Pending, string.Empty, 0, data.Detached);
            // Names must be unique when Remote() returns (Ray raises at .remote()); the directory is one grain call away.
            // On a worker thread the call is issued from the thread pool: this thread blocks on it right away, and
            // none of the call's continuations may need it (see LeaseLoops.Start).
            var directory = runtime.GrainFactory.GetGrain<IActorDirectoryGrain>(data.Namespace);
            var register = WorkerPool.IsWorkerThread ? Task.Run(() => directory.RegisterAsync(info)) : directory.RegisterAsync(info);
            var holder = ClusterCalls.RunAsync(runtime, register).GetAwaiter().GetResult();
            if (holder.ActorId != actorId)
            {
                if (options.GetIfExists)
                {
                    NamedActorClaims.CheckClass(holder, typeof(TActor));
                    return new ActorHandle<TActor>(holder.ActorId, holder.ClassName, _ray);
                }

                throw NamedActorClaims.Taken(data.Name, data.Namespace, "GetActorAsync");
            }
        }

        _ = runtime.Actors.Create(new ActorCreationSpec
        {
            ActorId = actorId,
            Constructor = constructor.Descriptor,
            Args = args,
            Options = data,
            Owner = job,
            ClassName = className,
        });
        ((IRayRuntimeAccess)_ray).TrackActor(actorId, data.Detached);
        return new ActorHandle<TActor>(actorId, className, _ray);
    }

    private static (ConstructorInfo Constructor, object?[] Values) Parse(Expression<Func<TActor>> expression)
    {
        var body = expression.Body;
        while (body is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } convert)
        {
            body = convert.Operand;
        }

        if (body is not NewExpression { Constructor: { } ctor } newExpression)
        {
            throw new ArgumentException(
                $"The actor expression must be a constructor call such as '() => new {typeof(TActor).Name}(...)'; got '{expression.Body}'. " +
                "Property initializers and factory methods are not supported: pass what you need to the constructor.", nameof(expression));
        }

        var values = new object?[newExpression.Arguments.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Evaluate(newExpression.Arguments[i]);
        }

        return (ctor, values);
    }

    private static object? Evaluate(Expression argument)
    {
        switch (argument)
        {
            case ConstantExpression constant:
                return constant.Value;
            case MemberExpression { Expression: ConstantExpression closure, Member: FieldInfo field }:
                return field.GetValue(closure.Value);
            case MemberExpression { Expression: null, Member: FieldInfo staticField }:
                return staticField.GetValue(null);
            default:
                return Expression.Lambda<Func<object?>>(Expression.Convert(argument, typeof(object))).Compile(preferInterpretation: true)();
        }
    }
}
