using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace OrleansRay;

/// <summary>The base class of the proxies Orleans generates for <see cref="IActor"/> contracts (named on
/// <see cref="IActor"/> with Orleans' <c>[GenerateMethodSerializers]</c>): each call goes through the calling process's
/// actor call router, which stamps it with its caller's order and re-sends it after a node loss as the actor's
/// <c>MaxTaskRetries</c> allow (Ray's actor task submitter).</summary>
/// <remarks>
/// Not for application code: Orleans' code generator derives the proxies from it, and callers use them through their
/// interface. Calls to other grains do not pass through OrleansRay at all (no grain call filter is registered), so an
/// OrleansRay node adds nothing to an ordinary grain call. In a process without OrleansRay's services (a plain Orleans
/// client) the proxy sends calls unstamped, as an ordinary grain reference would.
/// <para>The return types it supports are Orleans' own: <see cref="Task"/>, <see cref="ValueTask"/>, their generic forms and
/// <c>void</c> for one-way calls, each through an <see cref="ActorRequest"/> that carries the call's order stamp and
/// admits itself into the actor; and <see cref="IAsyncEnumerable{T}"/>, through Orleans' own request (unordered).</para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
[DefaultInvokableBaseType(typeof(ValueTask<>), typeof(ActorValueTaskRequest<>))]
[DefaultInvokableBaseType(typeof(ValueTask), typeof(ActorValueTaskRequest))]
[DefaultInvokableBaseType(typeof(Task<>), typeof(ActorTaskRequest<>))]
[DefaultInvokableBaseType(typeof(Task), typeof(ActorTaskRequest))]
[DefaultInvokableBaseType(typeof(void), typeof(ActorVoidRequest))]
[DefaultInvokableBaseType(typeof(IAsyncEnumerable<>), typeof(AsyncEnumerableRequest<>))]
public class ActorReference : GrainReference
{
    private IActorCallRouter? _router;
    private bool _routerLooked;

    /// <summary>Called by the generated proxies.</summary>
    /// <param name="shared">The functionality shared by every reference of the proxy's type.</param>
    /// <param name="key">The grain key: the actor id's Guid.</param>
    protected ActorReference(GrainReferenceShared shared, IdSpan key)
        : base(shared, key)
    {
    }

    /// <summary>Sends a call with a result through the router.</summary>
    /// <typeparam name="T">The method's result type.</typeparam>
    /// <param name="methodDescription">The generated request.</param>
    protected new ValueTask<T?> InvokeAsync<T>(IRequest methodDescription) =>
        Router is { } router ? router.InvokeAsync<T>(this, methodDescription) : base.InvokeAsync<T>(methodDescription);

    /// <summary>Sends a call without a result through the router.</summary>
    /// <param name="methodDescription">The generated request.</param>
    protected new ValueTask InvokeAsync(IRequest methodDescription) =>
        Router is { } router ? router.InvokeAsync(this, methodDescription) : base.InvokeAsync(methodDescription);

    /// <summary>Sends a one-way call (<c>[OneWay]</c>) through the router.</summary>
    /// <param name="methodDescription">The generated request.</param>
    protected new void Invoke(IRequest methodDescription)
    {
        if (Router is { } router)
        {
            router.Invoke(this, methodDescription);
        }
        else
        {
            base.Invoke(methodDescription);
        }
    }

    /// <summary>Sends <paramref name="request"/> as Orleans would, without the router (the router's own send).</summary>
    internal ValueTask<T?> SendAsync<T>(IRequest request) => base.InvokeAsync<T>(request);

    /// <summary>Sends <paramref name="request"/> as Orleans would, without the router.</summary>
    internal ValueTask SendAsync(IRequest request) => base.InvokeAsync(request);

    /// <summary>Sends one-way <paramref name="request"/> as Orleans would, without the router.</summary>
    internal void Send(IRequest request) => base.Invoke(request);

    private IActorCallRouter? Router
    {
        get
        {
            if (!_routerLooked)
            {
                // The process's services (a silo's or a client's): GetInvokable resolves a registered service first.
                _router = GetInvokable<IServiceProvider>().GetService<IActorCallRouter>();
                _routerLooked = true;
            }

            return _router;
        }
    }
}

/// <summary>What an <see cref="ActorReference"/> sends its calls through: OrleansRay's caller side of actor calls,
/// one per silo or client.</summary>
internal interface IActorCallRouter
{
    /// <summary>Sends a call with a result to <paramref name="target"/>.</summary>
    ValueTask<T?> InvokeAsync<T>(ActorReference target, IRequest request);

    /// <summary>Sends a call without a result to <paramref name="target"/>.</summary>
    ValueTask InvokeAsync(ActorReference target, IRequest request);

    /// <summary>Sends a one-way call to <paramref name="target"/>.</summary>
    void Invoke(ActorReference target, IRequest request);
}
