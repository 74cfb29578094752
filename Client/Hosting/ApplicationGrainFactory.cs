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
/// running silo. The call fails at once (in <c>GetGrain</c>, before any message is sent), never hangs.</para>
/// <para>Success costs one interface call more; the check runs only when Orleans already failed.</para>
/// </remarks>
internal sealed class ApplicationGrainFactory : IGrainFactory
{
    private readonly IGrainFactory _inner;
    private readonly GrainInterfaceTypeResolver _interfaces;
    private readonly GrainInterfaceTypeToGrainTypeResolver _classes;

    private ApplicationGrainFactory(IGrainFactory inner, GrainInterfaceTypeResolver interfaces, GrainInterfaceTypeToGrainTypeResolver classes)
    {
        _inner = inner;
        _interfaces = interfaces;
        _classes = classes;
    }

    /// <summary>Wraps the grain factory of a silo's or client's services.</summary>
    /// <param name="services">The silo's or client's service provider.</param>
    /// <param name="inner">Its grain factory (the client itself for a connected driver).</param>
    public static ApplicationGrainFactory Create(IServiceProvider services, IGrainFactory inner) => new(
        inner,
        services.GetRequiredService<GrainInterfaceTypeResolver>(),
        services.GetRequiredService<GrainInterfaceTypeToGrainTypeResolver>());

    /// <summary>The message for an interface no node implements.</summary>
    internal static string NotHostedMessage(Type interfaceType) =>
        $"No node of the cluster hosts a grain class implementing {interfaceType.FullName}. " +
        "Orleans learns grain classes only when a node starts: load the assembly that defines the class on every node " +
        "(`orleansray start --load App.dll`), or, in an application's own silo (UseOrleansRay), reference it from the host. " +
        "A grain class that travels only with a job's shipped code (RuntimeEnv.ShipCode) is not registered on the nodes.";

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithGuidKey
    {
        try
        {
            return _inner.GetGrain<TGrainInterface>(primaryKey, grainClassNamePrefix);
        }
        catch (ArgumentException ex) when (IsNotHosted(typeof(TGrainInterface)))
        {
            throw NotHosted(typeof(TGrainInterface), ex);
        }
    }

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithIntegerKey
    {
        try
        {
            return _inner.GetGrain<TGrainInterface>(primaryKey, grainClassNamePrefix);
        }
        catch (ArgumentException ex) when (IsNotHosted(typeof(TGrainInterface)))
        {
            throw NotHosted(typeof(TGrainInterface), ex);
        }
    }

    public TGrainInterface GetGrain<TGrainInterface>(string primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithStringKey
    {
        try
        {
            return _inner.GetGrain<TGrainInterface>(primaryKey, grainClassNamePrefix);
        }
        catch (ArgumentException ex) when (IsNotHosted(typeof(TGrainInterface)))
        {
            throw NotHosted(typeof(TGrainInterface), ex);
        }
    }

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string keyExtension, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithGuidCompoundKey
    {
        try
        {
            return _inner.GetGrain<TGrainInterface>(primaryKey, keyExtension, grainClassNamePrefix);
        }
        catch (ArgumentException ex) when (IsNotHosted(typeof(TGrainInterface)))
        {
            throw NotHosted(typeof(TGrainInterface), ex);
        }
    }

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string keyExtension, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithIntegerCompoundKey
    {
        try
        {
            return _inner.GetGrain<TGrainInterface>(primaryKey, keyExtension, grainClassNamePrefix);
        }
        catch (ArgumentException ex) when (IsNotHosted(typeof(TGrainInterface)))
        {
            throw NotHosted(typeof(TGrainInterface), ex);
        }
    }

    public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey)
    {
        try
        {
            return _inner.GetGrain(grainInterfaceType, grainPrimaryKey);
        }
        catch (ArgumentException ex) when (IsNotHosted(grainInterfaceType))
        {
            throw NotHosted(grainInterfaceType, ex);
        }
    }

    public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey)
    {
        try
        {
            return _inner.GetGrain(grainInterfaceType, grainPrimaryKey);
        }
        catch (ArgumentException ex) when (IsNotHosted(grainInterfaceType))
        {
            throw NotHosted(grainInterfaceType, ex);
        }
    }

    public IGrain GetGrain(Type grainInterfaceType, string grainPrimaryKey)
    {
        try
        {
            return _inner.GetGrain(grainInterfaceType, grainPrimaryKey);
        }
        catch (ArgumentException ex) when (IsNotHosted(grainInterfaceType))
        {
            throw NotHosted(grainInterfaceType, ex);
        }
    }

    public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey, string keyExtension)
    {
        try
        {
            return _inner.GetGrain(grainInterfaceType, grainPrimaryKey, keyExtension);
        }
        catch (ArgumentException ex) when (IsNotHosted(grainInterfaceType))
        {
            throw NotHosted(grainInterfaceType, ex);
        }
    }

    public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey, string keyExtension)
    {
        try
        {
            return _inner.GetGrain(grainInterfaceType, grainPrimaryKey, keyExtension);
        }
        catch (ArgumentException ex) when (IsNotHosted(grainInterfaceType))
        {
            throw NotHosted(grainInterfaceType, ex);
        }
    }

    public IAddressable GetGrain(Type interfaceType, IdSpan grainKey, string grainClassNamePrefix)
    {
        try
        {
            return _inner.GetGrain(interfaceType, grainKey, grainClassNamePrefix);
        }
        catch (ArgumentException ex) when (IsNotHosted(interfaceType))
        {
            throw NotHosted(interfaceType, ex);
        }
    }

    public IAddressable GetGrain(Type interfaceType, IdSpan grainKey)
    {
        try
        {
            return _inner.GetGrain(interfaceType, grainKey);
        }
        catch (ArgumentException ex) when (IsNotHosted(interfaceType))
        {
            throw NotHosted(interfaceType, ex);
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

    private static ArgumentException NotHosted(Type interfaceType, ArgumentException orleans) => new(NotHostedMessage(interfaceType), orleans);
}
