namespace OrleansRay;

/// <summary>Marks an actor class as an async actor (Ray's async actors, <c>async def</c> methods on an actor): its calls
/// run concurrently, interleaving at their awaits, on one exclusive context per concurrency group, so at most one call
/// of a group runs code at any instant and the actor's state needs no locks between calls of one group.</summary>
/// <remarks>
/// <para>Defaults: <see cref="ActorOptions.MaxConcurrency"/> is 1000 for an async actor (Ray's default), 1 for other
/// actors. A call holds one of those slots from its start until its task completes, including while it awaits.</para>
/// <para>Ordering: calls of one caller (and one concurrency group) start in the order they were submitted; once a call
/// awaits, later calls may run (Ray guarantees no more for async actors). Code between two awaits runs alone.</para>
/// <para>The exclusive context is a task scheduler: an await inside the actor resumes on it. <c>ConfigureAwait(false)</c>
/// and <c>Task.Run</c> leave it, and code after them runs in parallel with the actor's other calls. A call that blocks a
/// thread (a synchronous wait, <c>Thread.Sleep</c>) blocks its whole group, as a blocking call blocks Ray's event
/// loop.</para>
/// <para>Unlike Ray, having a <see cref="System.Threading.Tasks.Task"/>-returning method does not make a class an async
/// actor: in C# such methods are how any I/O is written, and existing actors rely on running one call at a time, each
/// seeing the state the earlier ones left (docs/adr/0012-async-actors-and-concurrency-groups.md). Actors behind grain
/// interfaces (<see cref="ActorGrain"/>) are Orleans grains and keep their own rules.</para>
/// </remarks>
[AttributeUsage(AttributeTargets.Class, Inherited = true, AllowMultiple = false)]
public sealed class AsyncActorAttribute : Attribute
{
}
