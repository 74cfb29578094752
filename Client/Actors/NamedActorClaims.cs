using OrleansRay.Grains;

namespace OrleansRay;

/// <summary>What a creation of a named actor does when the actor directory gives the name to another live actor:
/// refuse, or with <see cref="ActorOptions.GetIfExists"/> (Ray's <c>get_if_exists</c>) take that actor if its class is
/// the one asked for.</summary>
internal static class NamedActorClaims
{
    /// <summary>Checks that <paramref name="holder"/>, the actor holding the name, is of <paramref name="expected"/>
    /// (a class actor's class, or a grain actor's contract interface).</summary>
    /// <exception cref="ArgumentException">It is of another type.</exception>
    public static void CheckClass(ActorInfo holder, Type expected)
    {
        var expectedName = expected.FullName ?? expected.Name;
        if (!string.Equals(holder.ClassName, expectedName, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"Actor '{holder.Name}' is of type {holder.ClassName}, not {expectedName}, so ActorOptions.GetIfExists cannot give it as one; create it with its own type, or choose another name.",
                "options");
        }
    }

    /// <summary>The refusal of a name a live actor holds.</summary>
    /// <param name="name">The name.</param>
    /// <param name="namespace">Its namespace.</param>
    /// <param name="lookup">The method that gets the holder (<c>GetActorAsync</c> or <c>GetActorProxyAsync</c>).</param>
    public static ArgumentException Taken(string name, string @namespace, string lookup) => new(
        $"The actor name '{name}' is already taken in namespace '{@namespace}' by a live actor. Use {lookup} to reach it (or ActorOptions.GetIfExists to get it or create it in one step), or choose another name.",
        "options");
}
