using System.ComponentModel;
using Orleans.Serialization.Invocation;

namespace OrleansRay;

/// <summary>The base of the requests Orleans generates for the methods of <see cref="IActor"/> contracts (named on
/// <see cref="ActorReference"/> with Orleans' <c>[DefaultInvokableBaseType]</c>): the request carries its call's order
/// stamp as a field, and admits itself into the actor when Orleans invokes it (order per caller, MaxConcurrency, the
/// actor's death), so an actor call needs neither Orleans' request context nor a grain call filter on either side.</summary>
/// <remarks>Not for application code. Mirrors Ray's actor task spec, which carries its caller and sequence number.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
[GenerateSerializer]
public abstract class ActorRequest : RequestBase
{
    /// <summary>The call's order stamp, set by the caller's router as it sends; null when sent by a process without
    /// OrleansRay (the call is then admitted without an order).</summary>
    [Id(0)]
    public ActorCallStamp? Stamp { get; set; }

    /// <summary>Admits the call into its actor, runs it, and lets the next one in.</summary>
    /// <returns>Orleans' response: the method's result or its exception.</returns>
    public sealed override ValueTask<Response> Invoke()
    {
        if (GetTarget() is not IActorCallAdmission actor)
        {
            return InvokeMethod();
        }

        ValueTask entered;
        try
        {
            entered = actor.EnterCallAsync(Stamp);
        }
        catch (Exception exception)
        {
            return new ValueTask<Response>(Response.FromException(exception));
        }

        if (!entered.IsCompletedSuccessfully)
        {
            return InvokeAfterEnterAsync(entered, actor);
        }

        ValueTask<Response> call;
        try
        {
            call = InvokeMethod();
        }
        catch
        {
            actor.ExitCall();
            throw;
        }

        if (call.IsCompleted)
        {
            actor.ExitCall();
            return call;
        }

        return ExitWhenDoneAsync(call, actor);
    }

    private async ValueTask<Response> InvokeAfterEnterAsync(ValueTask entered, IActorCallAdmission actor)
    {
        try
        {
            await entered;
        }
        catch (Exception exception)
        {
            return Response.FromException(exception);
        }

        try
        {
            return await InvokeMethod();
        }
        finally
        {
            actor.ExitCall();
        }
    }

    private static async ValueTask<Response> ExitWhenDoneAsync(ValueTask<Response> call, IActorCallAdmission actor)
    {
        try
        {
            return await call;
        }
        finally
        {
            actor.ExitCall();
        }
    }

    /// <summary>Runs the method and turns its outcome into Orleans' response (never throws).</summary>
    protected abstract ValueTask<Response> InvokeMethod();

    /// <summary>Waits for <paramref name="task"/> and turns its outcome into a response.</summary>
    private protected static async ValueTask<Response> CompleteAsync(Task task)
    {
        try
        {
            await task;
            return Response.Completed;
        }
        catch (Exception exception)
        {
            return Response.FromException(exception);
        }
    }

    /// <summary>Waits for <paramref name="task"/> and turns its outcome into a response.</summary>
    private protected static async ValueTask<Response> CompleteAsync<TResult>(Task<TResult> task)
    {
        try
        {
            return Response.FromResult(await task);
        }
        catch (Exception exception)
        {
            return Response.FromException(exception);
        }
    }

    /// <summary>Waits for <paramref name="task"/> and turns its outcome into a response.</summary>
    private protected static async ValueTask<Response> CompleteAsync(ValueTask task)
    {
        try
        {
            await task;
            return Response.Completed;
        }
        catch (Exception exception)
        {
            return Response.FromException(exception);
        }
    }

    /// <summary>Waits for <paramref name="task"/> and turns its outcome into a response.</summary>
    private protected static async ValueTask<Response> CompleteAsync<TResult>(ValueTask<TResult> task)
    {
        try
        {
            return Response.FromResult(await task);
        }
        catch (Exception exception)
        {
            return Response.FromException(exception);
        }
    }
}

/// <summary>An actor method returning <see cref="Task{TResult}"/> (see <see cref="ActorRequest"/>).</summary>
/// <typeparam name="TResult">The method's result type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
[GenerateSerializer]
public abstract class ActorTaskRequest<TResult> : ActorRequest
{
    /// <inheritdoc />
    protected sealed override ValueTask<Response> InvokeMethod()
    {
        try
        {
            var task = InvokeInner();
            // A completed task's GetResult throws its own exception, which the catch below turns into the response.
            return task.IsCompleted ? new ValueTask<Response>(Response.FromResult(task.GetAwaiter().GetResult())) : CompleteAsync(task);
        }
        catch (Exception exception)
        {
            return new ValueTask<Response>(Response.FromException(exception));
        }
    }

    /// <summary>Calls the method on the actor (generated).</summary>
    protected abstract Task<TResult> InvokeInner();
}

/// <summary>An actor method returning <see cref="Task"/> (see <see cref="ActorRequest"/>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[GenerateSerializer]
public abstract class ActorTaskRequest : ActorRequest
{
    /// <inheritdoc />
    protected sealed override ValueTask<Response> InvokeMethod()
    {
        try
        {
            var task = InvokeInner();
            if (!task.IsCompleted)
            {
                return CompleteAsync(task);
            }

            task.GetAwaiter().GetResult();
            return new ValueTask<Response>(Response.Completed);
        }
        catch (Exception exception)
        {
            return new ValueTask<Response>(Response.FromException(exception));
        }
    }

    /// <summary>Calls the method on the actor (generated).</summary>
    protected abstract Task InvokeInner();
}

/// <summary>An actor method returning <see cref="ValueTask{TResult}"/> (see <see cref="ActorRequest"/>).</summary>
/// <typeparam name="TResult">The method's result type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
[GenerateSerializer]
public abstract class ActorValueTaskRequest<TResult> : ActorRequest
{
    /// <inheritdoc />
    protected sealed override ValueTask<Response> InvokeMethod()
    {
        try
        {
            var task = InvokeInner();
            return task.IsCompletedSuccessfully ? new ValueTask<Response>(Response.FromResult(task.Result)) : CompleteAsync(task);
        }
        catch (Exception exception)
        {
            return new ValueTask<Response>(Response.FromException(exception));
        }
    }

    /// <summary>Calls the method on the actor (generated).</summary>
    protected abstract ValueTask<TResult> InvokeInner();
}

/// <summary>An actor method returning <see cref="ValueTask"/> (see <see cref="ActorRequest"/>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[GenerateSerializer]
public abstract class ActorValueTaskRequest : ActorRequest
{
    /// <inheritdoc />
    protected sealed override ValueTask<Response> InvokeMethod()
    {
        try
        {
            var task = InvokeInner();
            return task.IsCompletedSuccessfully ? new ValueTask<Response>(Response.Completed) : CompleteAsync(task);
        }
        catch (Exception exception)
        {
            return new ValueTask<Response>(Response.FromException(exception));
        }
    }

    /// <summary>Calls the method on the actor (generated).</summary>
    protected abstract ValueTask InvokeInner();
}

/// <summary>A one-way actor method (<c>[OneWay]</c>, returning <c>void</c>; see <see cref="ActorRequest"/>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[GenerateSerializer]
public abstract class ActorVoidRequest : ActorRequest
{
    /// <inheritdoc />
    protected sealed override ValueTask<Response> InvokeMethod()
    {
        try
        {
            InvokeInner();
            return new ValueTask<Response>(Response.Completed);
        }
        catch (Exception exception)
        {
            return new ValueTask<Response>(Response.FromException(exception));
        }
    }

    /// <summary>Calls the method on the actor (generated).</summary>
    protected abstract void InvokeInner();
}

/// <summary>What an actor's request admits itself through: the actor grain's order gate.</summary>
internal interface IActorCallAdmission
{
    /// <summary>Completes when the call may run (its caller's earlier calls have started and a slot is free); faults
    /// with the actor's death or restart.</summary>
    ValueTask EnterCallAsync(ActorCallStamp? stamp);

    /// <summary>The admitted call ended: the next may run.</summary>
    void ExitCall();
}
