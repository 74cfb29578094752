namespace OrleansRay;

/// <summary>A live named actor, as <see cref="IRay.ListNamedActorsAsync"/> lists it (Ray's
/// <c>ray.util.list_named_actors</c>, whose entries with <c>all_namespaces=True</c> are <c>{"name", "namespace"}</c>).</summary>
/// <param name="Name">Its name (<see cref="ActorOptions.Name"/>): pass it to <see cref="IRay.GetActorAsync{TActor}"/>
/// with <paramref name="Namespace"/>.</param>
/// <param name="Namespace">Its namespace (<see cref="ActorOptions.Namespace"/>, or its creator's).</param>
/// <param name="ClassName">Its class's full name, or for an actor behind a grain interface its contract interface's: the
/// type to ask <c>GetActorAsync</c> or <c>GetActorProxyAsync</c> for.</param>
/// <param name="ActorId">Its id, as <c>orleansray list actors</c> shows it.</param>
public sealed record NamedActor(string Name, string Namespace, string ClassName, ActorId ActorId);
