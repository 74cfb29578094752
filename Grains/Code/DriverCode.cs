using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace OrleansRay.Code;

/// <summary>Which job code package an assembly belongs to, in this process: a driver's own assemblies after it
/// uploaded them as its job's code (registered here), or a job's assemblies in a node's job context.</summary>
/// <remarks>Process-wide, as the assemblies are; weak on the assembly, so it never keeps a context alive.</remarks>
internal static class DriverCode
{
    private static readonly ConditionalWeakTable<Assembly, string> Registered = new();

    /// <summary>Records that <paramref name="assemblies"/> are the code of package <paramref name="packageId"/> (the
    /// driver process's own code, uploaded at connect).</summary>
    public static void Register(IEnumerable<Assembly> assemblies, string packageId)
    {
        foreach (var assembly in assemblies)
        {
            Registered.AddOrUpdate(assembly, packageId);
        }
    }

    /// <summary>The package id of <paramref name="assembly"/>'s code, or empty for code every node has.</summary>
    public static string PackageOf(Assembly assembly)
    {
        if (AssemblyLoadContext.GetLoadContext(assembly) is JobLoadContext job)
        {
            return job.PackageId;
        }

        return Registered.TryGetValue(assembly, out var id) ? id : string.Empty;
    }

    /// <summary>True when <paramref name="packageId"/> is this process's own code (a driver's), so its methods are
    /// right here in the default context.</summary>
    public static bool IsLocal(string packageId, string assemblyName, out Assembly assembly)
    {
        foreach (var (candidate, id) in Registered)
        {
            if (id == packageId && string.Equals(candidate.GetName().Name, assemblyName, StringComparison.OrdinalIgnoreCase))
            {
                assembly = candidate;
                return true;
            }
        }

        assembly = null!;
        return false;
    }
}
