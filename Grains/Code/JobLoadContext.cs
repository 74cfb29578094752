using System.Reflection;
using System.Runtime.Loader;

namespace OrleansRay.Code;

/// <summary>The collectible load context of one job's code on a node: the job's assemblies load here, from the
/// package's files; every other name (.NET, Orleans, OrleansRay, and <c>--load</c>ed libraries that are the very same
/// build) resolves to the node's own copy in the default context.</summary>
/// <remarks>Two jobs with different builds of one assembly name each get their own copy. Unloading is cooperative:
/// the context goes once nothing references its types (no running code, no instance, no cache entry).</remarks>
internal sealed class JobLoadContext : AssemblyLoadContext
{
    private readonly IReadOnlyDictionary<string, string> _files;
    private readonly Func<string, string, bool> _sharedCopy;

    /// <summary>A context for <paramref name="packageId"/>.</summary>
    /// <param name="packageId">The package id (names the context, for diagnostics).</param>
    /// <param name="files">Assembly simple name → path of its file in the node's code cache.</param>
    /// <param name="sharedCopy">Given a name and the package's file hash, true when the default context has that very
    /// build (a <c>--load</c>ed library identical to the driver's): the job then uses the shared copy.</param>
    public JobLoadContext(string packageId, IReadOnlyDictionary<string, string> files, Func<string, string, bool> sharedCopy)
        : base("orleansray-job-" + packageId[..Math.Min(12, packageId.Length)], isCollectible: true)
    {
        _files = files;
        _sharedCopy = sharedCopy;
        PackageId = packageId;
    }

    /// <summary>The job code package whose assemblies load here.</summary>
    public string PackageId { get; }

    /// <summary>The package's own assemblies by simple name (ignoring case).</summary>
    public IReadOnlyDictionary<string, string> Files => _files;

    /// <inheritdoc />
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is not { } name || !_files.TryGetValue(name, out var path))
        {
            return null; // the node's copy
        }

        if (_sharedCopy(name, Path.GetFileNameWithoutExtension(path)))
        {
            return null;
        }

        // From bytes, not from the path: no file stays open or mapped, and the cache file can be replaced or removed.
        using var stream = new MemoryStream(File.ReadAllBytes(path), writable: false);
        return LoadFromStream(stream);
    }
}
