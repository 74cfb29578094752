using System.Runtime.Loader;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Metadata;

namespace OrleansRay.Hosting;

/// <summary>The grain factory of a node's runtime and of its <see cref="IRay.GrainFactory"/>: Orleans' own, except
/// that asking for a grain interface no node of the cluster implements fails with a message that says why and what to
/// do, instead of Orleans' bare "Could not find an implementation for interface X".</summary>
/// <remarks>
/// <para>Orleans resolves an interface to its grain class through the cluster's manifest, which each silo builds once,
/// when it starts, from the assemblies its serializer was given (<c>--load</c>ed ones, the host application's own).
/// A grain class that only travels with a job's shipped code (<c>RuntimeEnv.ShipCode</c>, ADR 0008) is in no manifest,
/// and neither is one from an assembly loaded after the silo started: Orleans has no way to add a grain class to a
/// running silo. The call fails at once (in <c>GetGrain</c>, before any message is sent), never hangs. Inside a job's
/// shipped code on a node, Orleans fails differently (the job's types are "not allowed" in the node's type system, or a
/// reference of the node's build of the interface cannot be cast to the job's): those say the same here.</para>
/// <para>Success costs one interface call more; the check runs only when Orleans already failed.</para>
/// </remarks>
internal sealed class ApplicationGrainFactory : IGrainFactory
{
    private readonly IGrainFactory _inner;
    private readonly GrainInterfaceTypeResolver _interfaces;
    private readonly GrainInterfaceTypeToGrainTypeResolver _classes;
    private readonly GrainPropertiesResolver _properties;

    private ApplicationGrainFactory(IGrainFactory inner, GrainInterfaceTypeResolver interfaces, GrainInterfaceTypeToGrainTypeResolver classes, GrainPropertiesResolver properties)
    {
        _inner = inner;
        _interfaces = interfaces;
        _classes = classes;
        _properties = properties;
    }

    /// <summary>Wraps the grain factory of a silo's or client's services.</summary>
    /// <param name="services">The silo's or client's service provider.</param>
    /// <param name="inner">Its grain factory (the client itself for a connected driver).</param>
    public static ApplicationGrainFactory Create(IServiceProvider services, IGrainFactory inner) => new(
        inner,
        services.GetRequiredService<GrainInterfaceTypeResolver>(),
        services.GetRequiredService<GrainInterfaceTypeToGrainTypeResolver>(),
        services.GetRequiredService<GrainPropertiesResolver>());

    /// <summary>The class name of grain type <paramref name="grainType"/> when the cluster's manifest shows it is not an
    /// actor grain (it does not derive from <see cref="ActorGrain"/>: its placement is not the actor grains'); null when
    /// it is one, or the manifest does not know the type.</summary>
    public string? NotAnActorGrain(GrainType grainType) =>
        _properties.TryGetGrainProperties(grainType, out var properties)
        && (!properties.Properties.TryGetValue(WellKnownGrainTypeProperties.PlacementStrategy, out var placement) || placement != nameof(Placement.ActorGrainPlacement))
            ? properties.Properties.GetValueOrDefault(WellKnownGrainTypeProperties.FullTypeName) ?? grainType.ToString()
            : null;

    /// <summary>The message for an interface no node implements.</summary>
    internal static string NotHostedMessage(Type interfaceType) =>
        $"No node of the cluster hosts a grain class implementing {interfaceType.FullName}. " +
        "Orleans learns grain classes only when a node starts: load the assembly that defines the class on every node " +
        "(`orleansray start --load App.dll`), or, in an application's own silo (UseOrleansRay), reference it from the host. " +
        "A grain class that travels only with a job's shipped code (RuntimeEnv.ShipCode) is not registered on the nodes.";

    /// <summary>The message for a grain interface of a job's shipped code, used on a node.</summary>
    internal static string ShippedMessage(Type interfaceType) =>
        $"No node of the cluster hosts a grain class implementing {interfaceType.FullName}: it comes from code shipped with the job " +
        $"(assembly {interfaceType.Assembly.GetName().Name}), and Orleans learns grain classes only when a node starts. " +
        "Load that assembly on every node (`orleansray start --load App.dll`, the same build as the driver's, so the job uses the node's copy), " +
        "or, in an application's own silo (UseOrleansRay), reference it from the host.";

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithGuidKey
    {
        try
        {
            return _inner.GetGrain<TGrainInterface>(primaryKey, grainClassNamePrefix);
        }
        catch (Exception ex) when (Explain(typeof(TGrainInterface), ex) is { } explained)
        {
            throw explained;
        }
    }

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithIntegerKey
    {
        try
        {
            return _inner.GetGrain<TGrainInterface>(primaryKey, grainClassNamePrefix);
        }
        catch (Exception ex) when (Explain(typeof(TGrainInterface), ex) is { } explained)
        {
            throw explained;
        }
    }

    public TGrainInterface GetGrain<TGrainInterface>(string primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithStringKey
    {
        try
        {
            return _inner.GetGrain<TGrainInterface>(primaryKey, grainClassNamePrefix);
        }
        catch (Exception ex) when (Explain(typeof(TGrainInterface), ex) is { } explained)
        {
            throw explained;
        }
    }

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string keyExtension, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithGuidCompoundKey
    {
        try
        {
            return _inner.GetGrain<TGrainInterface>(primaryKey, keyExtension, grainClassNamePrefix);
        }
        catch (Exception ex) when (Explain(typeof(TGrainInterface), ex) is { } explained)
        {
            throw explained;
        }
    }

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string keyExtension, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithIntegerCompoundKey
    {
        try
        {
            return _inner.GetGrain<TGrainInterface>(primaryKey, keyExtension, grainClassNamePrefix);
        }
        catch (Exception ex) when (Explain(typeof(TGrainInterface), ex) is { } explained)
        {
            throw explained;
        }
    }

    public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey)
    {
        try
        {
            return _inner.GetGrain(grainInterfaceType, grainPrimaryKey);
        }
        catch (Exception ex) when (Explain(grainInterfaceType, ex) is { } explained)
        {
            throw explained;
        }
    }

    public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey)
    {
        try
        {
            return _inner.GetGrain(grainInterfaceType, grainPrimaryKey);
        }
        catch (Exception ex) when (Explain(grainInterfaceType, ex) is { } explained)
        {
            throw explained;
        }
    }

    public IGrain GetGrain(Type grainInterfaceType, string grainPrimaryKey)
    {
        try
        {
            return _inner.GetGrain(grainInterfaceType, grainPrimaryKey);
        }
        catch (Exception ex) when (Explain(grainInterfaceType, ex) is { } explained)
        {
            throw explained;
        }
    }

    public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey, string keyExtension)
    {
        try
        {
            return _inner.GetGrain(grainInterfaceType, grainPrimaryKey, keyExtension);
        }
        catch (Exception ex) when (Explain(grainInterfaceType, ex) is { } explained)
        {
            throw explained;
        }
    }

    public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey, string keyExtension)
    {
        try
        {
            return _inner.GetGrain(grainInterfaceType, grainPrimaryKey, keyExtension);
        }
        catch (Exception ex) when (Explain(grainInterfaceType, ex) is { } explained)
        {
            throw explained;
        }
    }

    public IAddressable GetGrain(Type interfaceType, IdSpan grainKey, string grainClassNamePrefix)
    {
        try
        {
            return _inner.GetGrain(interfaceType, grainKey, grainClassNamePrefix);
        }
        catch (Exception ex) when (Explain(interfaceType, ex) is { } explained)
        {
            throw explained;
        }
    }

    public IAddressable GetGrain(Type interfaceType, IdSpan grainKey)
    {
        try
        {
            return _inner.GetGrain(interfaceType, grainKey);
        }
        catch (Exception ex) when (Explain(interfaceType, ex) is { } explained)
        {
            throw explained;
        }
    }

    // A grain id names its grain type already: nothing is resolved through the manifest here.
    public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId) where TGrainInterface : IAddressable => _inner.GetGrain<TGrainInterface>(grainId);

    public IAddressable GetGrain(GrainId grainId) => _inner.GetGrain(grainId);

    public IAddressable GetGrain(GrainId grainId, GrainInterfaceType interfaceType) => _inner.GetGrain(grainId, interfaceType);

    public TGrainObserverInterface CreateObjectReference<TGrainObserverInterface>(IGrainObserver obj) where TGrainObserverInterface : IGrainObserver =>
        _inner.CreateObjectReference<TGrainObserverInterface>(obj);

    public void DeleteObjectReference<TGrainObserverInterface>(IGrainObserver obj) where TGrainObserverInterface : IGrainObserver =>
        _inner.DeleteObjectReference<TGrainObserverInterface>(obj);

    /// <summary>The exception to throw instead of Orleans' <paramref name="orleans"/>, when it failed because no node
    /// can host <paramref name="interfaceType"/>; null for any other failure.</summary>
    private ArgumentException? Explain(Type interfaceType, Exception orleans)
    {
        if (AssemblyLoadContext.GetLoadContext(interfaceType.Assembly) is { IsCollectible: true })
        {
            // Job code on a node (ADR 0008): Orleans' type system refuses the job's types ("not allowed"), or, when a
            // node loaded another build of the assembly, makes a reference of the node's type that the job's cannot
            // be cast to.
            return orleans is ArgumentException or InvalidOperationException or InvalidCastException
                ? new ArgumentException(ShippedMessage(interfaceType), orleans)
                : null;
        }

        return orleans is ArgumentException && IsNotHosted(interfaceType) ? new ArgumentException(NotHostedMessage(interfaceType), orleans) : null;
    }

    /// <summary>True when the cluster's manifest has no grain class for <paramref name="interfaceType"/> at all (not
    /// when a class prefix matched none of several, or the interface is ambiguous: Orleans' own message says those).</summary>
    private bool IsNotHosted(Type interfaceType)
    {
        try
        {
            return interfaceType.IsInterface && !_classes.TryGetGrainType(_interfaces.GetGrainInterfaceType(interfaceType), out _);
        }
        catch (ArgumentException)
        {
            // Several implementations and none primary: hosted, only ambiguous.
            return false;
        }
    }
}
