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
        foreach (var assembly in _context.Assemblies.Concat(AssemblyLoadContext.Default.Assemblies))
        {
            if (assembly.GetType(name, throwOnError: false) is { } found)
            {
                return found;
            }
        }

        return Type.GetType(name, ResolveAssembly, ResolveType, throwOnError: false);
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

    private static Type? ResolveType(Assembly? assembly, string name, bool ignoreCase) =>
        assembly?.GetType(name, throwOnError: false, ignoreCase);
}
