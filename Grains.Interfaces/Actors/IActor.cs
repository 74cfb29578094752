namespace OrleansRay;

/// <summary>The marker of an actor contract: an Orleans grain interface (keyed by the actor's id as a Guid) whose
/// implementation is an OrleansRay actor, created with <c>IRay.CreateActorAsync&lt;TActor&gt;</c>.</summary>
/// <remarks>
/// Derive your contract from it, with methods returning <see cref="Task"/>, <see cref="Task{TResult}"/>,
/// <see cref="ValueTask"/> or <see cref="ValueTask{TResult}"/>, and implement it in a class deriving from
/// <c>ActorGrain</c>:
/// <code>
/// public interface ICounter : IActor { Task&lt;int&gt; Increment(); }
/// public sealed class CounterActor : ActorGrain, ICounter { private int _n; public Task&lt;int&gt; Increment() => Task.FromResult(++_n); }
/// </code>
/// Callers hold the typed proxy Orleans generates for the interface and await its methods directly; OrleansRay adds
/// Ray's actor semantics (resources, placement, names, kill, restarts, per-caller order) around the grain.
/// </remarks>
[GenerateMethodSerializers(typeof(ActorReference))]
public interface IActor : IGrainWithGuidKey
{
}
