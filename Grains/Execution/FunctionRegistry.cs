using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace OrleansRay.Execution;

/// <summary>Maps delegates (caller side) and descriptors (executing side) to compiled functions, once each.</summary>
/// <remarks>Process-wide: a method compiles to the same invoker wherever it is used. Thread-safe.</remarks>
internal static class FunctionRegistry
{
    private static readonly ConcurrentDictionary<MethodInfo, CompiledFunction> ByMethod = new();
    private static readonly ConcurrentDictionary<FunctionDescriptor, CompiledFunction> ByDescriptor = new();
    private static readonly ConcurrentDictionary<ConstructorInfo, CompiledFunction> ByConstructor = new();

    /// <summary>The compiled form of <paramref name="function"/>, refusing delegates that capture state.</summary>
    /// <exception cref="ArgumentException">The delegate captures variables, is bound to an object, or is a multicast delegate.</exception>
    public static CompiledFunction ForDelegate(Delegate function, string role)
    {
        ArgumentNullException.ThrowIfNull(function);
        var method = function.Method;
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
        compiled = CompiledFunction.Compile(method, function.Target);
        ByMethod.TryAdd(method, compiled);
        ByDescriptor.TryAdd(compiled.Descriptor, compiled);
        return ByMethod[method];
    }

    /// <summary>The compiled constructor.</summary>
    public static CompiledFunction ForConstructor(ConstructorInfo constructor)
    {
        ArgumentNullException.ThrowIfNull(constructor);
        return ByConstructor.GetOrAdd(constructor, static c =>
        {
            var compiled = CompiledFunction.Compile(c, null);
            ByDescriptor.TryAdd(compiled.Descriptor, compiled);
            return compiled;
        });
    }

    /// <summary>Finds the function a descriptor names on this node.</summary>
    /// <exception cref="FunctionUnavailableException">The assembly, type or method is not loaded here.</exception>
    public static CompiledFunction Resolve(FunctionDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (ByDescriptor.TryGetValue(descriptor, out var compiled))
        {
            return compiled;
        }

        // Assemblies loaded from a path (`orleansray start --load App.dll` puts them in the default load context) are in
        // AppDomain.GetAssemblies like those the application references; names compare as the runtime does, ignoring case.
        // A copy in a collectible context (a plugin host's, or one being unloaded) is the last choice.
        var assembly = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => string.Equals(a.GetName().Name, descriptor.AssemblyName, StringComparison.OrdinalIgnoreCase))
            .OrderBy(a => a.IsCollectible)
            .FirstOrDefault();
        if (assembly is null)
        {
            try
            {
                assembly = Assembly.Load(new AssemblyName(descriptor.AssemblyName));
            }
            catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                throw new FunctionUnavailableException(
                    $"Assembly '{descriptor.AssemblyName}' (needed for type '{descriptor.TypeName}', method {descriptor.MethodName}) is not loaded on this node. " +
                    $"Start every node that may run it with `orleansray start ... --load path/to/{descriptor.AssemblyName}.dll`.", ex);
            }
        }

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

        compiled = method is ConstructorInfo ctor ? ForConstructor(ctor) : CompiledFunction.Compile(method, target);
        ByDescriptor.TryAdd(descriptor, compiled);
        return compiled;
    }

    private static void CheckTarget(Delegate function, string role)
    {
        var target = function.Target;
        if (target is null)
        {
            return;
        }

        var type = target.GetType();
        var isClosure = type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false);
        if (!isClosure)
        {
            throw new ArgumentException(
                $"The {role} '{function.Method.Name}' is an instance method bound to an object of type {type.FullName}; remote code cannot carry that object. " +
                "Make the method static (pass what it needs as arguments), or use an actor for state.", nameof(function));
        }

        var captured = type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
        if (captured.Length > 0)
        {
            throw new ArgumentException(
                $"The {role} lambda captures {string.Join(", ", captured.Select(f => $"'{f.Name}'"))}; remote lambdas must capture nothing. " +
                "Pass the captured values as arguments instead (ray.Task((a, b) => ..., a, b)).", nameof(function));
        }
    }
}
