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

    /// <summary>For an actor method returning <see cref="IAsyncEnumerable{T}"/> (a streaming generator, see
    /// <see cref="StreamingActorCall{T}"/>): how many items the method may produce that the caller has not consumed yet
    /// before it is paused (Ray's <c>_generator_backpressure_num_objects</c>), as
    /// <see cref="TaskOptions.GeneratorBackpressureNumObjects"/> for tasks. An item counts as consumed once the consumer
    /// asks for the next one. Default: -1, no bound. Ignored by calls that are not generators.</summary>
    /// <remarks>A paused method keeps its place in the actor: an actor running one call at a time runs no other call
    /// meanwhile (as in Ray), so a consumer that stops reading without disposing the generator holds the actor.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">Thrown at <c>Remote()</c> when 0 or below -1.</exception>
    public int GeneratorBackpressureNumObjects { get; set; } = -1;

    internal void Validate()
    {
        if (GeneratorBackpressureNumObjects is 0 or < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(GeneratorBackpressureNumObjects), GeneratorBackpressureNumObjects, "ActorCallOptions.GeneratorBackpressureNumObjects must be >= 1 (or -1 for no bound).");
        }
    }
}
