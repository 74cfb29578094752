using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.Loader;
using Orleans.Serialization.TypeSystem;

namespace OrleansRay.Code;

/// <summary>Resolves type names for one job's serializer: the job's own assemblies first (its load context), then the
/// node's default context, never another job's context (Orleans' default resolver searches every loaded assembly, so a
/// second build of the same assembly name could answer).</summary>
internal sealed class JobTypeResolver : TypeResolver
{
    private readonly AssemblyLoadContext _context;
    private readonly ConcurrentDictionary<string, Type> _types = new(StringComparer.Ordinal);

    public JobTypeResolver(AssemblyLoadContext context)
    {
        _context = context;
    }

    public override Type ResolveType(string name) =>
        TryResolveType(name, out var type) ? type : throw new TypeAccessException($"Unable to find a type named {name} in the job's code or on this node.");

    public override bool TryResolveType(string name, [NotNullWhen(true)] out Type type)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (_types.TryGetValue(name, out type!))
        {
            return true;
        }

        if (Find(name) is not { } found)
        {
            type = null!;
            return false;
        }

        type = _types.GetOrAdd(name, found);
        return true;
    }

    private Type? Find(string name)
    {
        // A constructed or assembly-qualified name ("List`1[[MyApp.Point, MyApp]]") names assemblies: each must load
        // through the job's context (Assembly.GetType would bind them in the default context, where the job's are not).
        if (name.Contains('[', StringComparison.Ordinal) || name.Contains(',', StringComparison.Ordinal))
        {
            return Type.GetType(name, ResolveAssembly, ResolveType, throwOnError: false);
        }

        return FindSimple(name, ignoreCase: false);
    }

    /// <summary>A type by its full name, without an assembly: in the job's assemblies first, then the node's.</summary>
    private Type? FindSimple(string name, bool ignoreCase)
    {
        foreach (var assembly in _context.Assemblies.Concat(AssemblyLoadContext.Default.Assemblies))
        {
            try
            {
                if (assembly.GetType(name, throwOnError: false, ignoreCase) is { } found)
                {
                    return found;
                }
            }
            catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException or TypeLoadException)
            {
                // An assembly whose types cannot all load: look further.
            }
        }

        return null;
    }

    private Assembly? ResolveAssembly(AssemblyName name)
    {
        try
        {
            // Through the job's context: its own assemblies, else the node's copy.
            return _context.LoadFromAssemblyName(name);
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return null;
        }
    }

    private Type? ResolveType(Assembly? assembly, string name, bool ignoreCase) =>
        assembly is null ? FindSimple(name, ignoreCase) : assembly.GetType(name, throwOnError: false, ignoreCase);
}
