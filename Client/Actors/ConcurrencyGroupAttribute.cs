namespace OrleansRay;

/// <summary>Puts an actor method in a concurrency group (Ray's <c>@ray.method(concurrency_group="io")</c>): its calls
/// take that group's slots instead of the default group's.</summary>
/// <remarks>
/// <para>The group must be declared where the actor is created, in <see cref="ActorOptions.ConcurrencyGroups"/> with
/// its limit; a call of a method whose group the actor does not have fails with <see cref="ArgumentException"/> naming
/// the groups it has. A per-call <see cref="ActorCallOptions.ConcurrencyGroup"/> overrides this attribute.</para>
/// <para>The group is read from the method the call's lambda calls (<c>x =&gt; x.Fetch(url)</c> reads
/// <c>Fetch</c>'s attribute).</para>
/// </remarks>
[AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = false)]
public sealed class ConcurrencyGroupAttribute : Attribute
{
    /// <summary>Puts the method in group <paramref name="name"/>.</summary>
    /// <param name="name">The group's name, as declared in <see cref="ActorOptions.ConcurrencyGroups"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or blank.</exception>
    public ConcurrencyGroupAttribute(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>The group's name.</summary>
    public string Name { get; }
}
