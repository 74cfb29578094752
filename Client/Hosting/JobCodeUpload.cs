using System.Reflection;
using System.Runtime.Loader;
using Microsoft.Extensions.Logging;
using OrleansRay.Code;
using OrleansRay.Grains;

namespace OrleansRay.Hosting;

/// <summary>Makes a connected driver's code its job's code package: finds the driver's application assemblies, uploads
/// each file the cluster does not have yet (by SHA-256; the working dir's files too, <see cref="WorkingDirUpload"/>),
/// then the manifest, and marks the assemblies as that package's in this process, so every function and actor class of
/// them is described with the package id.</summary>
internal static partial class JobCodeUpload
{
    /// <summary>What connecting shipped.</summary>
    /// <param name="PackageId">The package id, empty when nothing was shipped.</param>
    /// <param name="Files">Files in the package (assemblies, working-dir files and the manifest).</param>
    /// <param name="Bytes">Their bytes.</param>
    /// <param name="UploadedFiles">Files uploaded now (the cluster had the others).</param>
    /// <param name="UploadedBytes">Bytes uploaded now.</param>
    public readonly record struct Result(string PackageId, int Files, long Bytes, int UploadedFiles, long UploadedBytes);

    /// <summary>The driver's application assemblies to ship with <paramref name="env"/>: the entry assembly's closure
    /// (see <see cref="Find"/>) plus <see cref="RuntimeEnv.Assemblies"/>.</summary>
    /// <exception cref="RayException">The driver is a single-file app (its assemblies have no files to ship).</exception>
    public static IReadOnlyList<Assembly> JobAssemblies(RuntimeEnv env)
    {
        var entry = Assembly.GetEntryAssembly();
        if (entry is not null && string.IsNullOrEmpty(entry.Location))
        {
            throw new RayException(
                $"The driver {entry.GetName().Name} is a single-file app: its assemblies have no files to ship to the cluster. " +
                "Publish it framework-dependent (not PublishSingleFile), or set RayOptions.RuntimeEnv.ShipCode = false and load its code on every node with `orleansray start --load`.");
        }

        return Find(entry, env.Assemblies);
    }

    /// <summary>Uploads <paramref name="assemblies"/> (from <see cref="JobAssemblies"/>), the job's environment and its
    /// <paramref name="workingDir"/> (from <see cref="WorkingDirUpload.Scan"/>; null: none) as its job's package. First it adds the job's reference to the package (<see cref="ICodePackageReferencesGrain"/>,
    /// by <paramref name="driver"/>, the driver's worker id that the job table's row of its job names), then asks for
    /// each file whether the cluster has it: a file found there cannot be collected before the job uses it.</summary>
    /// <exception cref="RayException">The package is over <see cref="RuntimeEnv.MaxCodeBytes"/> (names its size and the
    /// limit), a file is over the control store's limit, or the upload failed.</exception>
    public static async Task<Result> UploadAsync(IGrainFactory grains, string driver, RuntimeEnv env, IReadOnlyList<Assembly> assemblies, WorkingDirUpload.Folder? workingDir, ILogger logger, CancellationToken cancellationToken)
    {
        if (assemblies.Count == 0 && env.EnvVars.Count == 0 && workingDir is null)
        {
            return default;
        }

        var files = new List<(Assembly Assembly, CodeFile File, byte[] Bytes)>();
        foreach (var assembly in assemblies)
        {
            var bytes = await File.ReadAllBytesAsync(assembly.Location, cancellationToken).ConfigureAwait(false);
            files.Add((assembly, new CodeFile(assembly.GetName().Name!, CodeManifest.Hash(bytes), bytes.LongLength), bytes));
        }

        var total = files.Sum(f => f.Bytes.LongLength);
        if (total > env.MaxCodeBytes)
        {
            var largest = files.MaxBy(f => f.Bytes.LongLength);
            throw new RayException(
                $"The job's code is {total:N0} bytes ({files.Count} assemblies, the largest {largest.File.Name} at {largest.Bytes.LongLength:N0} bytes); " +
                $"the limit is {env.MaxCodeBytes:N0} bytes (RayOptions.RuntimeEnv.MaxCodeBytes). Raise the limit, or load large libraries on every node with `orleansray start --load`.");
        }

        if (files.FirstOrDefault(f => f.Bytes.LongLength > ICodeBlobGrain.MaxBytes) is { Assembly: not null } tooLarge)
        {
            throw new RayException($"Assembly {tooLarge.File.Name} is {tooLarge.Bytes.LongLength:N0} bytes; the cluster takes files up to {ICodeBlobGrain.MaxBytes:N0} bytes. Load it on every node with `orleansray start --load` instead.");
        }

        var manifest = new CodeManifest
        {
            Assemblies = [.. files.Select(f => f.File)],
            EnvVars = new SortedDictionary<string, string>(env.EnvVars, StringComparer.Ordinal),
            WorkingDir = workingDir is null ? null : [.. workingDir.Files.Select(f => f.Entry)],
        };
        var manifestBytes = manifest.ToBytes();
        var packageId = CodeManifest.Hash(manifestBytes);
        var uploadedFiles = 0;
        var uploadedBytes = 0L;
        try
        {
            // The reference first: from here on no collection deletes a file this package names (Ray's upload takes a
            // temporary reference before it checks the GCS for the package).
            await grains.GetGrain<ICodePackageReferencesGrain>(0).AddReferenceAsync(packageId, driver, [.. manifest.FileHashes().Distinct(StringComparer.Ordinal)])
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            if (workingDir is not null)
            {
                (uploadedFiles, uploadedBytes) = await WorkingDirUpload.UploadAsync(grains, workingDir, cancellationToken).ConfigureAwait(false);
            }

            // The manifest last: a node that finds it finds every file it names.
            foreach (var (hash, bytes) in files.Select(f => (f.File.Sha256, f.Bytes)).Append((packageId, manifestBytes)))
            {
                var blob = grains.GetGrain<ICodeBlobGrain>(hash);
                if (await blob.HasAsync().WaitAsync(cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }

                await blob.PutAsync(bytes).WaitAsync(cancellationToken).ConfigureAwait(false);
                uploadedFiles++;
                uploadedBytes += bytes.LongLength;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            throw new RayException($"Uploading the job's code to the cluster failed: {ex.Message}", ex);
        }

        DriverCode.Register(files.Select(f => f.Assembly), packageId);
        var workingDirFiles = workingDir?.Files.Count ?? 0;
        var result = new Result(packageId, files.Count + workingDirFiles + 1, total + (workingDir?.Bytes ?? 0) + manifestBytes.LongLength, uploadedFiles, uploadedBytes);
        LogShipped(logger, CodePackage.Short(packageId), files.Count, workingDirFiles, result.Bytes, uploadedFiles, uploadedBytes);
        return result;
    }

    /// <summary>The driver's application assemblies: <paramref name="entry"/> and what it references, transitively,
    /// leaving out .NET (the shared framework's folder), dynamic assemblies, and OrleansRay with everything it
    /// references (Orleans, Microsoft.Extensions): every node has those. Plus <paramref name="extra"/>.</summary>
    public static IReadOnlyList<Assembly> Find(Assembly? entry, IEnumerable<Assembly> extra)
    {
        var system = Closure([typeof(Ray).Assembly], _ => true);
        bool IsApplication(Assembly a) =>
            !a.IsDynamic && !string.IsNullOrEmpty(a.Location) && !system.ContainsKey(a.GetName().Name!) && !IsFramework(a);

        var roots = (entry is null ? [] : new[] { entry }).Concat(extra).Where(IsApplication).ToArray();
        return [.. Closure(roots, IsApplication).Values.OrderBy(a => a.GetName().Name, StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>True for .NET's own assemblies: in the shared framework's folders (a framework-dependent app), or, for a
    /// self-contained app whose folder holds the runtime too, by the framework's names.</summary>
    private static bool IsFramework(Assembly assembly)
    {
        var runtimeFolder = Path.GetDirectoryName(typeof(object).Assembly.Location) ?? string.Empty;
        var sharedRoot = Path.GetDirectoryName(Path.GetDirectoryName(runtimeFolder)) ?? string.Empty;
        if (Path.GetFileName(Path.GetDirectoryName(runtimeFolder)) == "Microsoft.NETCore.App")
        {
            // Framework-dependent: .NET lives under dotnet/shared/<framework>/<version>/ (ASP.NET Core's there too).
            return assembly.Location.StartsWith(sharedRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        }

        var name = assembly.GetName().Name ?? string.Empty;
        return name is "mscorlib" or "netstandard" or "WindowsBase" or "Microsoft.CSharp" or "Microsoft.VisualBasic"
            || name.StartsWith("System.", StringComparison.Ordinal) || name.StartsWith("Microsoft.Win32.", StringComparison.Ordinal)
            || name.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal) || name.StartsWith("Microsoft.NETCore.", StringComparison.Ordinal);
    }

    /// <summary>The assemblies reachable from <paramref name="roots"/> through references, walking only through those
    /// <paramref name="follow"/> accepts; by simple name.</summary>
    private static Dictionary<string, Assembly> Closure(IEnumerable<Assembly> roots, Func<Assembly, bool> follow)
    {
        var found = new Dictionary<string, Assembly>(StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<Assembly>(roots);
        while (pending.Count > 0)
        {
            var assembly = pending.Pop();
            if (!found.TryAdd(assembly.GetName().Name!, assembly))
            {
                continue;
            }

            foreach (var reference in References(assembly))
            {
                if (reference.Name is null || found.ContainsKey(reference.Name))
                {
                    continue;
                }

                Assembly loaded;
                try
                {
                    loaded = AssemblyLoadContext.Default.LoadFromAssemblyName(reference);
                }
                catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
                {
                    continue; // referenced but never needed at run time (a compile-time-only reference)
                }

                if (follow(loaded))
                {
                    pending.Push(loaded);
                }
            }
        }

        return found;
    }

    /// <summary>What <paramref name="assembly"/> needs at run time: its metadata references, and the assemblies its
    /// Orleans-generated <c>[assembly: ApplicationPart("...")]</c> attributes name. Orleans lists there every referenced
    /// project that uses the Orleans SDK, even one the code never touches (so not in the metadata), and a node
    /// registering the job's serializers loads each of them.</summary>
    private static IEnumerable<AssemblyName> References(Assembly assembly)
    {
        foreach (var reference in assembly.GetReferencedAssemblies())
        {
            yield return reference;
        }

        foreach (var attribute in assembly.GetCustomAttributesData())
        {
            if (attribute.AttributeType.FullName == "Orleans.ApplicationPartAttribute"
                && attribute.ConstructorArguments is [{ Value: string part }] && part.Length > 0)
            {
                yield return new AssemblyName(part);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job code {Package}: {Assemblies} assemblies, {WorkingDirFiles} working-dir files and a manifest, {Bytes} bytes; uploaded {UploadedFiles} files ({UploadedBytes} bytes), the cluster had the rest")]
    private static partial void LogShipped(ILogger logger, string package, int assemblies, int workingDirFiles, long bytes, int uploadedFiles, long uploadedBytes);
}
