using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace OrleansRay.Code;

/// <summary>One job's code, loaded on one node: its manifest, its collectible load context, its serializer, and the
/// functions resolved in it (cached here, so they go with the package).</summary>
internal sealed class CodePackage
{
    private readonly ServiceProvider _services;
    private int _users;

    public CodePackage(string id, CodeManifest manifest, JobLoadContext context, ServiceProvider services, JobSerializer serializer)
    {
        Id = id;
        Manifest = manifest;
        Context = context;
        _services = services;
        Serializer = serializer;
    }

    /// <summary>The package id (lowercase hex SHA-256 of its manifest).</summary>
    public string Id { get; }

    /// <summary>What the package holds.</summary>
    public CodeManifest Manifest { get; }

    /// <summary>The job's load context.</summary>
    public JobLoadContext Context { get; }

    /// <summary>Packs and unpacks the job's values.</summary>
    public JobSerializer Serializer { get; }

    /// <summary>Compiled functions of this package by descriptor (the Execution layer's cache; values are its type).</summary>
    public ConcurrentDictionary<FunctionDescriptor, object> Functions { get; } = new();

    /// <summary>Actor instances of this package on the node: while any lives, the package stays loaded (a detached
    /// actor keeps its job's code alive after the job).</summary>
    public int Users => Volatile.Read(ref _users);

    /// <summary>When code of the package last started or ended, UTC ticks.</summary>
    public long LastUsedTicks => Serializer.LastUsedTicks;

    /// <summary>True while nothing uses the package: no actor of it lives, no run of its code is in progress.</summary>
    public bool Idle => Users == 0 && Serializer.Running == 0;

    /// <summary>An assembly of the package (or the node's copy of a shared one), by simple name.</summary>
    /// <exception cref="CodeLoadException">It does not load.</exception>
    public Assembly Assembly(string name, string node)
    {
        try
        {
            return Context.LoadFromAssemblyName(new AssemblyName(name));
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            throw new CodeLoadException($"Assembly '{name}' of job code {Short(Id)} could not be loaded on node {node}: {ex.Message}", ex);
        }
    }

    /// <summary>Marks the package as used now (a task of it arrived).</summary>
    public void Touch() => Serializer.Touch();

    /// <summary>An actor instance of the package started.</summary>
    public void Retain()
    {
        Interlocked.Increment(ref _users);
        Touch();
    }

    /// <summary>An actor instance of the package ended.</summary>
    public void Release()
    {
        Interlocked.Decrement(ref _users);
        Touch();
    }

    /// <summary>Drops everything that references the package's types and starts unloading its context.</summary>
    /// <returns>A weak reference to the context: alive until the runtime has collected it.</returns>
    public WeakReference Unload()
    {
        Functions.Clear();
        _services.Dispose();
        OrleansTypeCaches.Purge(Context);
        var weak = new WeakReference(Context);
        Context.Unload();
        return weak;
    }

    /// <summary>The first 12 digits of a package id, for messages.</summary>
    public static string Short(string id) => id[..Math.Min(12, id.Length)];
}
