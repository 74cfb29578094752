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
    private readonly IReadOnlyDictionary<string, (string Hash, byte[] Bytes)> _files;
    private readonly Func<string, string, bool> _sharedCopy;

    /// <summary>A context for <paramref name="packageId"/>.</summary>
    /// <param name="packageId">The package id (names the context, for diagnostics).</param>
    /// <param name="files">Assembly simple name → its SHA-256 and its bytes, checked against the hash already (loaded
    /// from these bytes: nothing read again from the disk cache after the check).</param>
    /// <param name="sharedCopy">Given a name and the package's file hash, true when the default context has that very
    /// build (a <c>--load</c>ed library identical to the driver's): the job then uses the shared copy.</param>
    public JobLoadContext(string packageId, IReadOnlyDictionary<string, (string Hash, byte[] Bytes)> files, Func<string, string, bool> sharedCopy)
        : base("orleansray-job-" + packageId[..Math.Min(12, packageId.Length)], isCollectible: true)
    {
        _files = files;
        _sharedCopy = sharedCopy;
        PackageId = packageId;
    }

    /// <summary>The job code package whose assemblies load here.</summary>
    public string PackageId { get; }


    /// <inheritdoc />
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is not { } name || !_files.TryGetValue(name, out var file))
        {
            return null; // the node's copy
        }

        if (_sharedCopy(name, file.Hash))
        {
            return null;
        }

        // From the checked bytes: no file stays open or mapped, and no file swapped in the cache meanwhile is loaded.
        using var stream = new MemoryStream(file.Bytes, writable: false);
        return LoadFromStream(stream);
    }
}
