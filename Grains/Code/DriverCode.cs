using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace OrleansRay.Code;

/// <summary>Which code of this process belongs to a job's code package: a driver's own assemblies once it shipped them
/// (registered here, with the package ids it shipped them as), or a job's assemblies in a node's job context.</summary>
/// <remarks>Process-wide, as the assemblies are; weak on the assembly, so it never keeps a context alive. One driver
/// process may ship the same assemblies as several packages (one per connection whose runtime environment differs):
/// each runtime stamps its own package id on what it sends.</remarks>
internal static class DriverCode
{
    private static readonly ConditionalWeakTable<Assembly, object> Shipped = new();
    private static readonly ConcurrentDictionary<string, byte> ShippedPackages = new(StringComparer.Ordinal);

    /// <summary>Records that this process shipped <paramref name="assemblies"/> as package <paramref name="packageId"/>.</summary>
    public static void Register(IEnumerable<Assembly> assemblies, string packageId)
    {
        foreach (var assembly in assemblies)
        {
            Shipped.AddOrUpdate(assembly, packageId);
        }

        ShippedPackages.TryAdd(packageId, 0);
    }

    /// <summary>True when this process shipped <paramref name="assembly"/> as (part of) a job's code.</summary>
    public static bool IsShipped(Assembly assembly) => Shipped.TryGetValue(assembly, out _);

    /// <summary>The package id of job code loaded in a node's job context, or empty.</summary>
    public static string PackageOf(Assembly assembly) =>
        AssemblyLoadContext.GetLoadContext(assembly) is JobLoadContext job ? job.PackageId : string.Empty;

    /// <summary>True when <paramref name="packageId"/> is code this process shipped itself, so its assembly
    /// <paramref name="assemblyName"/> is right here in the default context (an embedded node in a driver's process).</summary>
    public static bool IsLocal(string packageId, string assemblyName, out Assembly assembly)
    {
        if (ShippedPackages.ContainsKey(packageId))
        {
            foreach (var (candidate, _) in Shipped)
            {
                if (string.Equals(candidate.GetName().Name, assemblyName, StringComparison.OrdinalIgnoreCase))
                {
                    assembly = candidate;
                    return true;
                }
            }
        }

        assembly = null!;
        return false;
    }
}
