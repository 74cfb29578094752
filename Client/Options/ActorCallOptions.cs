namespace OrleansRay;

/// <summary>Options of one actor method call (Ray's <c>actor.method.options(...)</c>), set with
/// <see cref="ActorMethodCall{TResult}.Options"/>.</summary>
public sealed class ActorCallOptions
{
    /// <summary>The concurrency group the call runs in (Ray's <c>.options(concurrency_group="compute")</c>). Default:
    /// null, the method's <see cref="ConcurrencyGroupAttribute"/> if it has one, else the actor's default group (limited
    /// by <see cref="ActorOptions.MaxConcurrency"/>).</summary>
    /// <remarks>A name the actor does not have (see <see cref="ActorOptions.ConcurrencyGroups"/>) is refused with
    /// <see cref="ArgumentException"/>.</remarks>
    public string? ConcurrencyGroup { get; set; }
}
