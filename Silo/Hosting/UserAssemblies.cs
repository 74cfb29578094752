using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using OrleansRay.Silo.Cli;

namespace OrleansRay.Silo.Hosting;

/// <summary>The application assemblies a node runs code from: <c>orleansray start --load App.dll</c> (repeatable).</summary>
/// <remarks>
/// <para>The launching <c>start</c> checks each file (<see cref="Check"/>) so a person gets a one-line error before any
/// process starts; the node then loads them into the default <see cref="AssemblyLoadContext"/> before its silo starts
/// (<see cref="Load"/>), where the function registry finds them (<c>AppDomain.GetAssemblies</c>) and Orleans'
/// serializer is told about them (their <c>[GenerateSerializer]</c> types, and their grain classes, which this node then
/// hosts: Orleans builds its grain type map once, at silo start, so this is the only way a grain class reaches a CLI
/// node; a job's shipped code adds none).</para>
/// <para>An assembly's own dependencies are those its <c>.deps.json</c> lists, found next to it (the folder
/// <c>dotnet build</c> writes), after the node's own assemblies: a dependency the node already has (OrleansRay,
/// Orleans, the framework) is the node's copy.</para>
/// </remarks>
internal static class UserAssemblies
{
    /// <summary>The option's name, for messages.</summary>
    public const string Option = "--load";

    /// <summary>Where the loaded assemblies are: their dependencies are looked up there.</summary>
    private static readonly ConcurrentDictionary<string, AssemblyDependencyResolver> Resolvers = new(StringComparer.Ordinal);

    /// <summary>Names the loaded assemblies (and the dependencies found for them) reference: only these are resolved,
    /// so another file that happens to sit in the same folder (the tests next to an application) stays unknown.</summary>
    private static readonly ConcurrentDictionary<string, byte> Referenced = new(StringComparer.OrdinalIgnoreCase);
    private static int _resolverInstalled;

    /// <summary>Checks <c>--load</c> values: each file exists, is a .NET assembly whose types load, and no two have the
    /// same name. Relative paths are taken from the current directory.</summary>
    /// <returns>The full paths, in the order given.</returns>
    /// <exception cref="CliException">A file is missing, not a .NET assembly, cannot load, or two files share a name.</exception>
    /// <param name="paths">The option's values.</param>
    /// <param name="loadTypes">Also load each into a throwaway context and resolve its types (the launching <c>start</c>;
    /// the background node skips it: its default context must never see a second copy of the assembly).</param>
    public static IReadOnlyList<string> Check(IEnumerable<string>? paths, bool loadTypes = true)
    {
        var result = new List<string>();
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var given in paths ?? [])
        {
            if (string.IsNullOrWhiteSpace(given))
            {
                throw CliException.Usage($"{Option}: empty path. Give the path of a .NET assembly, e.g. {Option} bin/Release/net10.0/MyApp.dll.");
            }

            var path = Path.GetFullPath(given);
            if (!File.Exists(path))
            {
                throw CliException.Usage(Directory.Exists(path)
                    ? $"{Option} {given}: is a folder; give the .dll file of your application, e.g. {Option} {Path.Combine(given, "MyApp.dll")}."
                    : $"{Option} {given}: no such file ({path}). Build your application first (dotnet build) and give the path of its .dll.");
            }

            AssemblyName name;
            try
            {
                name = AssemblyName.GetAssemblyName(path);
            }
            catch (Exception ex) when (ex is BadImageFormatException or FileLoadException)
            {
                throw CliException.Usage($"{Option} {given}: not a .NET assembly. Give the .dll that `dotnet build` makes for your application (not its native executable).");
            }

            var simpleName = name.Name ?? Path.GetFileNameWithoutExtension(path);
            if (names.TryGetValue(simpleName, out var other))
            {
                if (string.Equals(other, path, StringComparison.Ordinal))
                {
                    continue;
                }

                throw CliException.Usage($"{Option}: {other} and {path} are both assembly '{simpleName}'; a node loads one assembly of a name. Give one of them.");
            }

            names[simpleName] = path;
            if (loadTypes && CheckTypesAndUnload(path) is { } problem)
            {
                throw new CliException($"{Option} {given}: {problem}");
            }

            result.Add(path);
        }

        return result;
    }

    /// <summary>Loads each (checked, full) path into a throwaway context and resolves its types; a one-line error
    /// naming the file and the missing dependency when that fails. The launching <c>start</c> calls it after it is done
    /// with any cluster connection, and waits for the throwaway context to be gone.</summary>
    /// <exception cref="CliException">An assembly's types cannot be loaded.</exception>
    public static void CheckTypes(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        foreach (var path in paths)
        {
            if (CheckTypesAndUnload(path) is { } problem)
            {
                throw new CliException($"{Option} {path}: {problem}");
            }
        }
    }

    /// <summary><see cref="CheckTypes(string, out WeakReference)"/>, then waits (a bounded number of collections) until
    /// the throwaway context is unloaded. An unloading context's assemblies stay in <c>AppDomain.GetAssemblies</c> until
    /// then, and whoever reads their attributes meanwhile (an Orleans client scanning assemblies does) makes the runtime
    /// resolve the attributes' assemblies in a context that can no longer load anything: "An operation is not legal in
    /// the current state" for xunit.core or Orleans.DurableJobs, on one node and not another.</summary>
    private static string? CheckTypesAndUnload(string path)
    {
        var problem = CheckTypes(path, out var context);
        for (var i = 0; context.IsAlive && i < 50; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        return problem;
    }

    /// <summary>Loads the (checked, full) paths into the default context, before the silo starts. An assembly the node
    /// already has by name (e.g. OrleansRay.dll copied next to the application) is the node's own copy.</summary>
    /// <exception cref="CliException">A file cannot be loaded.</exception>
    public static IReadOnlyList<Assembly> Load(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var loaded = new List<Assembly>();
        if (paths.Count == 0)
        {
            return loaded;
        }

        foreach (var path in paths)
        {
            Resolvers.TryAdd(path, new AssemblyDependencyResolver(path));
        }

        if (Interlocked.Exchange(ref _resolverInstalled, 1) == 0)
        {
            AssemblyLoadContext.Default.Resolving += (context, name) =>
            {
                if (Probe(name) is not { } file)
                {
                    return null;
                }

                var dependency = context.LoadFromAssemblyPath(file);
                AddReferences(dependency);
                return dependency;
            };
        }

        foreach (var path in paths)
        {
            try
            {
                var simpleName = AssemblyName.GetAssemblyName(path).Name;
                var assembly = AssemblyLoadContext.Default.Assemblies.FirstOrDefault(a => string.Equals(a.GetName().Name, simpleName, StringComparison.OrdinalIgnoreCase))
                    ?? (IsPlatformAssembly(simpleName) ? AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName(simpleName!)) : AssemblyLoadContext.Default.LoadFromAssemblyPath(path));
                AddReferences(assembly);
                // Resolve every type now: a missing dependency fails the start, not the first task that needs it.
                _ = assembly.GetTypes();
                loaded.Add(assembly);
            }
            catch (ReflectionTypeLoadException ex)
            {
                throw new CliException($"{Option} {path}: {Describe(ex)}", CliException.FailureExitCode, ex);
            }
            catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                throw new CliException($"{Option} {path}: cannot be loaded ({ex.Message}).", CliException.FailureExitCode, ex);
            }
        }

        return loaded;
    }

    /// <summary>Loads the assembly into a throwaway context and resolves its types: null when that works, else why not.
    /// Nothing of the context outlives the call but <paramref name="unloaded"/> (strings only come out).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static string? CheckTypes(string path, out WeakReference unloaded)
    {
        var resolver = new AssemblyDependencyResolver(path);
        var directory = Path.GetDirectoryName(path)!;
        var context = new AssemblyLoadContext("orleansray-load-check", isCollectible: true);
        unloaded = new WeakReference(context);
        context.Resolving += (ctx, name) =>
            resolver.ResolveAssemblyToPath(name) is { } file && File.Exists(file) ? ctx.LoadFromAssemblyPath(file)
            : File.Exists(Path.Combine(directory, name.Name + ".dll")) ? ctx.LoadFromAssemblyPath(Path.Combine(directory, name.Name + ".dll"))
            : null;
        try
        {
            var simpleName = AssemblyName.GetAssemblyName(path).Name;
            if (IsPlatformAssembly(simpleName))
            {
                // The node's own assembly under that name is used; nothing of the file is loaded.
                return null;
            }

            _ = context.LoadFromAssemblyPath(path).GetTypes();
            return null;
        }
        catch (ReflectionTypeLoadException ex)
        {
            return Describe(ex);
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return $"cannot be loaded ({ex.Message}).";
        }
        finally
        {
            context.Unload();
        }
    }

    private static string Describe(ReflectionTypeLoadException ex)
    {
        var first = ex.LoaderExceptions.FirstOrDefault(e => e is not null);
        var missing = first is FileNotFoundException { FileName: { } file } ? new AssemblyName(file).Name : null;
        return missing is not null
            ? $"its dependency '{missing}' was not found; put {missing}.dll next to it (the build output folder has it), or run `dotnet publish` and load from the publish folder."
            : $"some of its types cannot be loaded ({first?.Message ?? ex.Message}); is it built for .NET 10 against this OrleansRay?";
    }

    /// <summary>True for assemblies the node itself is made of (the trusted platform list: framework, Orleans, OrleansRay).</summary>
    private static bool IsPlatformAssembly(string? simpleName)
    {
        if (simpleName is null || AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is not string list)
        {
            return false;
        }

        foreach (var file in list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (string.Equals(Path.GetFileNameWithoutExtension(file), simpleName, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static void AddReferences(Assembly assembly)
    {
        foreach (var reference in assembly.GetReferencedAssemblies())
        {
            if (reference.Name is { } name)
            {
                Referenced.TryAdd(name, 0);
            }
        }
    }

    /// <summary>The file of a dependency of a loaded assembly: as its .deps.json names it (whether or not its metadata
    /// references it: attributes name assemblies too, e.g. Orleans' generated <c>[assembly: ApplicationPart]</c> lists
    /// every Orleans package the project uses), else next to it when its metadata references it.</summary>
    private static string? Probe(AssemblyName name)
    {
        if (name.Name is null)
        {
            return null;
        }

        var referenced = Referenced.ContainsKey(name.Name);
        foreach (var (path, resolver) in Resolvers)
        {
            if (ResolveListed(resolver, name) is { } file)
            {
                return file;
            }

            var sibling = Path.Combine(Path.GetDirectoryName(path)!, name.Name + ".dll");
            if (referenced && File.Exists(sibling))
            {
                return sibling;
            }
        }

        return null;
    }

    /// <summary>The file .deps.json lists for <paramref name="name"/>, when it lists one that exists.</summary>
    private static string? ResolveListed(AssemblyDependencyResolver resolver, AssemblyName name)
    {
        try
        {
            return resolver.ResolveAssemblyToPath(name) is { } file && File.Exists(file) ? file : null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // A malformed .deps.json entry: not this assembly's dependency as far as the node can tell.
            return null;
        }
    }

    /// <summary>"A.dll, B.dll (2 assemblies)" for the start message.</summary>
    public static string Summary(IReadOnlyList<string> paths) =>
        string.Join(", ", paths.Select(p => Path.GetFileName(p))) + string.Create(CultureInfo.InvariantCulture, $" ({paths.Count} assembl{(paths.Count == 1 ? "y" : "ies")})");
}
