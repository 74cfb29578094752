using System.Collections;
using System.Reflection;
using System.Runtime.Loader;

namespace OrleansRay.Code;

/// <summary>Removes an unloading job context's types from the process-wide caches of Orleans and of dependency
/// injection (<c>ActivatorUtilities</c> caches constructors by type: a job's serializer activates its codecs with it).</summary>
/// <remarks>Orleans' serializer keeps a few static dictionaries keyed by <see cref="Type"/> or <see cref="Assembly"/>
/// (type-name formatting, assembly names, shallow-copyable types). A job's serializer fills them with the job's types,
/// and a static entry would keep the job's collectible context alive forever. The caches are found by reflection (any
/// static dictionary field of Orleans' assemblies keyed by Type or Assembly), so a new one in a later Orleans is
/// covered too; the unloading test notices one that is not (the context count would not return to its baseline). Only
/// concurrent dictionaries are touched (safe to change while others read them), and only entries keyed by a type or
/// an assembly: a cache keyed otherwise that holds a job's type would keep its context, and the tests would show it.</remarks>
internal static class OrleansTypeCaches
{
    private static (int Assemblies, FieldInfo[] Fields) _found = (0, []);

    /// <summary>Removes every entry whose key belongs to <paramref name="context"/>.</summary>
    /// <returns>How many entries were removed.</returns>
    public static int Purge(AssemblyLoadContext context)
    {
        var removed = 0;
        var assemblies = AppDomain.CurrentDomain.GetAssemblies().Length;
        if (_found.Assemblies != assemblies)
        {
            _found = (assemblies, FindFields()); // an assembly loaded since may bring a cache of its own
        }

        foreach (var field in _found.Fields)
        {
            if (field.GetValue(null) is not IDictionary dictionary)
            {
                continue;
            }

            foreach (var key in dictionary.Keys.Cast<object>().ToList())
            {
                if (Belongs(key, context))
                {
                    dictionary.Remove(key);
                    removed++;
                }
            }
        }

        return removed;
    }

    private static bool Belongs(object key, AssemblyLoadContext context) => key switch
    {
        Assembly assembly => AssemblyLoadContext.GetLoadContext(assembly) == context,
        Type type => Involves(type, context),
        _ => false,
    };

    private static bool Involves(Type type, AssemblyLoadContext context)
    {
        if (AssemblyLoadContext.GetLoadContext(type.Assembly) == context)
        {
            return true;
        }

        if (type.HasElementType && type.GetElementType() is { } element)
        {
            return Involves(element, context);
        }

        return type.IsConstructedGenericType && type.GenericTypeArguments.Any(t => Involves(t, context));
    }

    private static FieldInfo[] FindFields() =>
        AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => !a.IsDynamic && a.GetName().Name is { } name
                && (name.StartsWith("Orleans.", StringComparison.Ordinal) || name.StartsWith("Microsoft.Extensions.DependencyInjection", StringComparison.Ordinal)))
            .SelectMany(a => SafeTypes(a))
            .Where(t => !t.ContainsGenericParameters)
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
            .Where(f => IsTypeKeyedDictionary(f.FieldType))
            .ToArray();

    /// <summary>A <c>ConcurrentDictionary</c> keyed by Type or Assembly: only those, because removing from another
    /// process-wide dictionary while its owner uses it under a lock of its own could corrupt it.</summary>
    private static bool IsTypeKeyedDictionary(Type fieldType)
    {
        if (!fieldType.IsGenericType || fieldType.GetGenericTypeDefinition() != typeof(System.Collections.Concurrent.ConcurrentDictionary<,>))
        {
            return false;
        }

        var key = fieldType.GetGenericArguments()[0];
        return key == typeof(Type) || key == typeof(Assembly);
    }

    private static IEnumerable<Type> SafeTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return ex.Types.Where(t => t is not null)!;
        }
    }
}
