using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using OrleansRay.Code;

namespace OrleansRay.Execution;

/// <summary>Maps delegates (caller side) and descriptors (executing side) to compiled functions, once each.</summary>
/// <remarks>Process-wide: a method compiles to the same invoker wherever it is used. Thread-safe.</remarks>
internal static class FunctionRegistry
{
    private static readonly ConcurrentDictionary<MethodInfo, CompiledFunction> ByMethod = new();
    private static readonly ConcurrentDictionary<FunctionDescriptor, CompiledFunction> ByDescriptor = new();
    private static readonly ConcurrentDictionary<ConstructorInfo, CompiledFunction> ByConstructor = new();
    private static readonly ConditionalWeakTable<MethodBase, CompiledFunction> ByJobMethod = new();

    /// <summary>The compiled form of <paramref name="function"/>, refusing delegates that capture state.</summary>
    /// <exception cref="ArgumentException">The delegate captures variables, is bound to an object, or is a multicast delegate.</exception>
    public static CompiledFunction ForDelegate(Delegate function, string role)
    {
        ArgumentNullException.ThrowIfNull(function);
        var method = function.Method;
        if (method.DeclaringType?.Assembly.IsCollectible == true)
        {
            return ForJobCode(function, method, role);
        }

        if (ByMethod.TryGetValue(method, out var compiled))
        {
            // The same method can be bound to different targets; re-check the target each call (cheap).
            CheckTarget(function, role);
            return compiled;
        }

        if (function.HasSingleTarget is false)
        {
            throw new ArgumentException($"The {role} is a multicast delegate; pass a single static method or lambda.", nameof(function));
        }

        CheckTarget(function, role);
        compiled = CompiledFunction.Compile(method, function.Target, code: null);
        ByMethod.TryAdd(method, compiled);
        ByDescriptor.TryAdd(compiled.Descriptor, compiled);
        return ByMethod[method];
    }

    /// <summary>A delegate of a job's code running on a node (its assembly is in the job's collectible context): compiled
    /// once per method, cached weakly so the cache never keeps the job's context from unloading.</summary>
    private static CompiledFunction ForJobCode(Delegate function, MethodInfo method, string role)
    {
        if (function.HasSingleTarget is false)
        {
            throw new ArgumentException($"The {role} is a multicast delegate; pass a single static method or lambda.", nameof(function));
        }

        CheckTarget(function, role);
        return ByJobMethod.GetValue(method, m => CompiledFunction.Compile(m, function.Target, CodeOf(m)));
    }

    /// <summary>The serializer of the job whose context holds <paramref name="method"/>: the running job code's.</summary>
    private static JobSerializer? CodeOf(MethodBase method) =>
        CodeScope.Current is { } current && current.PackageId == DriverCode.PackageOf(method.DeclaringType!.Assembly) ? current : null;

    /// <summary>The compiled constructor.</summary>
    public static CompiledFunction ForConstructor(ConstructorInfo constructor)
    {
        ArgumentNullException.ThrowIfNull(constructor);
        if (constructor.DeclaringType?.Assembly.IsCollectible == true)
        {
            return ByJobMethod.GetValue(constructor, c => CompiledFunction.Compile(c, null, CodeOf(c)));
        }

        return ByConstructor.GetOrAdd(constructor, static c =>
        {
            var compiled = CompiledFunction.Compile(c, null, code: null);
            ByDescriptor.TryAdd(compiled.Descriptor, compiled);
            return compiled;
        });
    }

    /// <summary>Finds the function a descriptor names on this node: in a job's code package when it names one (the
    /// package must be loaded: <see cref="CodePackages.GetAsync"/>), else in the code the node has itself.</summary>
    /// <exception cref="FunctionUnavailableException">The assembly, type or method is not here, or the job's code is not loaded.</exception>
    public static CompiledFunction Resolve(FunctionDescriptor descriptor, CodePackages? packages = null)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        Assembly? assembly = null;
        if (descriptor.Code.Length > 0 && !DriverCode.IsLocal(descriptor.Code, descriptor.AssemblyName, out assembly))
        {
            return ResolveInPackage(descriptor, packages);
        }

        return ByDescriptor.TryGetValue(descriptor, out var compiled) ? compiled : CompileLocal(descriptor, assembly);
    }

    /// <summary>Compiles a function of the node's own code the first time it is asked for (a method of its own, so the
    /// closure it needs is not allocated on <see cref="Resolve"/>'s cached path).</summary>
    private static CompiledFunction CompileLocal(FunctionDescriptor descriptor, Assembly? assembly)
    {
        // Assemblies loaded from a path (`orleansray start --load App.dll` puts them in the default load context) are in
        // the default context like those the application references; names compare as the runtime does, ignoring case.
        assembly ??= AssemblyLoadContext.Default.Assemblies
            .FirstOrDefault(a => string.Equals(a.GetName().Name, descriptor.AssemblyName, StringComparison.OrdinalIgnoreCase));
        if (assembly is null)
        {
            try
            {
                assembly = AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName(descriptor.AssemblyName));
            }
            catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                throw new FunctionUnavailableException(
                    $"Assembly '{descriptor.AssemblyName}' (needed for type '{descriptor.TypeName}', method {descriptor.MethodName}) is not loaded on this node. " +
                    "Connect the driver with RayOptions.Address so its code travels with its job, or start every node that may run it with " +
                    $"`orleansray start ... --load path/to/{descriptor.AssemblyName}.dll`.", ex);
            }
        }

        var compiled = Compile(descriptor, assembly, code: null);
        ByDescriptor.TryAdd(descriptor, compiled);
        return compiled;
    }

    private static CompiledFunction ResolveInPackage(FunctionDescriptor descriptor, CodePackages? packages)
    {
        if (packages is null || !packages.TryGet(descriptor.Code, out var package))
        {
            // Tasks load their job's code before they resolve; what gets here is mostly a call to an actor another job
            // created (a detached one, found by name) from a different build, whose methods this node does not have.
            throw new FunctionUnavailableException(
                $"{descriptor.TypeName}.{descriptor.MethodName} in {descriptor.AssemblyName} comes from job code {CodePackage.Short(descriptor.Code)}, which is not loaded on this node. " +
                "A call to an actor runs in the code of the job that created the actor: another build of the application, or the same build with other RuntimeEnv environment variables (each is other job code), cannot call its methods. " +
                "Call it from the same build, or make it a grain-interface actor (ray.CreateActorAsync<IMyActor>), whose interface both builds share.");
        }

        if (package.Functions.TryGetValue(descriptor, out var cached))
        {
            return (CompiledFunction)cached;
        }

        Assembly assembly;
        try
        {
            assembly = package.Assembly(descriptor.AssemblyName, packages.NodeName);
        }
        catch (CodeLoadException ex)
        {
            throw new FunctionUnavailableException(ex.Message, ex);
        }

        var compiled = Compile(descriptor, assembly, package.Serializer);
        return (CompiledFunction)package.Functions.GetOrAdd(descriptor, compiled);
    }

    private static CompiledFunction Compile(FunctionDescriptor descriptor, Assembly assembly, JobSerializer? code)
    {
        var type = assembly.GetType(descriptor.TypeName)
            ?? throw new FunctionUnavailableException($"Type '{descriptor.TypeName}' was not found in assembly '{assembly.GetName().Name}' on this node; is the node running the same build of it?");
        MethodBase method;
        try
        {
            method = type.Module.ResolveMethod(descriptor.MetadataToken)
                ?? throw new FunctionUnavailableException($"Method {descriptor} was not found on this node.");
        }
        catch (ArgumentException ex)
        {
            throw new FunctionUnavailableException($"Method {descriptor} was not found on this node; is the node running the same build of '{descriptor.AssemblyName}'?", ex);
        }

        if (!string.Equals(method.Name, descriptor.MethodName, StringComparison.Ordinal))
        {
            throw new FunctionUnavailableException($"Method {descriptor} resolved to '{method.Name}' on this node: the node runs a different build of '{descriptor.AssemblyName}'.");
        }

        object? target = null;
        if (method is MethodInfo { IsStatic: false } mi)
        {
            // A non-capturing lambda lives on the compiler's closure singleton "<>c", held in its static field "<>9".
            target = mi.DeclaringType!.GetField("<>9", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(null)
                ?? throw new FunctionUnavailableException($"{descriptor} is an instance method without a closure singleton; remote functions must be static or non-capturing lambdas.");
        }

        if (code is null && method is ConstructorInfo ctor)
        {
            return ForConstructor(ctor);
        }

        return CompiledFunction.Compile(method, target, code);
    }

    /// <summary>Target types known to be a non-capturing lambda's closure class (checked once per type: the check reads
    /// attributes and fields, which a submit paid on every call).</summary>
    private static readonly ConcurrentDictionary<Type, bool> CaptureFreeTargets = new();

    private static void CheckTarget(Delegate function, string role)
    {
        var target = function.Target;
        if (target is null)
        {
            return;
        }

        var type = target.GetType();
        if (CaptureFreeTargets.ContainsKey(type))
        {
            return;
        }

        var isClosure = type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false);
        if (!isClosure)
        {
            throw new ArgumentException(
                $"The {role} '{function.Method.Name}' is an instance method bound to an object of type {type.FullName}; remote code cannot carry that object. " +
                "Make the method static (pass what it needs as arguments), or use an actor for state.", nameof(function));
        }

        if (type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Length > 0)
        {
            // The compiler gives all lambdas of a scope one closure class: its fields are what any of them captures (and
            // the delegates it caches), so this lambda may only share them.
            var captured = CapturedNames(type);
            throw new ArgumentException(
                $"The {role} lambda captures (or shares a closure with a lambda that captures) " +
                $"{(captured.Count > 0 ? string.Join(", ", captured.Select(name => $"'{name}'")) : "variables of its enclosing method")}; " +
                "remote lambdas must capture nothing: pass the values as arguments instead (ray.Task((a, b) => ..., a, b)), or make it a static method.", nameof(function));
        }

        if (!type.Assembly.IsCollectible)
        {
            CaptureFreeTargets.TryAdd(type, true); // a job's code's types are not kept: its context must unload
        }
    }

    /// <summary>The variables a closure class holds, as the user named them: <c>this</c> for the captured instance
    /// (<c>&lt;&gt;4__this</c>), the variables of enclosing scopes through the compiler's link to their closure
    /// (<c>CS$&lt;&gt;8__locals1</c>); the compiler's own fields (cached delegates <c>&lt;&gt;9__N</c>) are left out.</summary>
    internal static IReadOnlyList<string> CapturedNames(Type closure)
    {
        var names = new List<string>();
        var seen = new HashSet<Type>();
        Collect(closure);
        return names.Distinct(StringComparer.Ordinal).ToList();

        void Collect(Type type)
        {
            if (!seen.Add(type))
            {
                return;
            }

            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                if (field.Name == "<>4__this")
                {
                    names.Add("this");
                }
                else if (field.Name.StartsWith("CS$<>8__locals", StringComparison.Ordinal))
                {
                    Collect(field.FieldType); // an enclosing scope's closure: its variables are captured too
                }
                else if (!field.Name.StartsWith('<') && !field.Name.StartsWith("CS$", StringComparison.Ordinal))
                {
                    names.Add(field.Name);
                }
            }
        }
    }
}
