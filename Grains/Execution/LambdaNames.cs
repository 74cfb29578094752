using System.Reflection;
using System.Runtime.CompilerServices;

namespace OrleansRay.Execution;

/// <summary>Gives compiler-generated lambdas a name a person recognizes: the method they call
/// (<c>c =&gt; c.Increment()</c> reads as "Counter.Increment"), found by reading the lambda's IL for its first call.</summary>
internal static class LambdaNames
{
    private const byte Call = 0x28, CallVirt = 0x6F, NewObj = 0x73;

    /// <summary>The name to show for <paramref name="method"/>: what a lambda calls, a local function's own name
    /// ("Program.Slow" for <c>Slow</c> declared in top-level statements, which the compiler names
    /// <c>&lt;&lt;Main&gt;$&gt;g__Slow|0_1</c>), else <paramref name="fallback"/>.</summary>
    public static string Describe(MethodBase method, string fallback) =>
        Target(method) is { DeclaringType: { } type } target ? (target is ConstructorInfo ? $"new {type.Name}" : $"{type.Name}.{target.Name}")
        : LocalFunctionName(method.Name) is { } local && method.DeclaringType is { } declaring ? $"{declaring.Name}.{local}"
        : fallback;

    /// <summary>The source name of a local function from its compiled name (<c>&lt;Outer&gt;g__Name|1_0</c>); null for
    /// any other method.</summary>
    public static string? LocalFunctionName(string compiledName)
    {
        if (!compiledName.StartsWith('<'))
        {
            return null;
        }

        var start = compiledName.LastIndexOf(">g__", StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += 4;
        var end = compiledName.IndexOf('|', start);
        return end > start ? compiledName[start..end] : null;
    }

    /// <summary>The method a compiler-generated lambda calls (its first call of user code); null for other methods or
    /// when none is found.</summary>
    public static MethodBase? Target(MethodBase method)
    {
        if (!method.Name.StartsWith('<') || method.DeclaringType?.IsDefined(typeof(CompilerGeneratedAttribute), false) is not true)
        {
            return null;
        }

        try
        {
            var il = method.GetMethodBody()?.GetILAsByteArray();
            if (il is null)
            {
                return null;
            }

            // A linear scan for call opcodes followed by a 4-byte token; a false match on an operand byte only costs a
            // failed token resolution, which is caught.
            for (var i = 0; i + 4 < il.Length; i++)
            {
                if (il[i] is not (Call or CallVirt or NewObj))
                {
                    continue;
                }

                var token = BitConverter.ToInt32(il, i + 1);
                MethodBase? target;
                try
                {
                    target = method.Module.ResolveMethod(token, method.DeclaringType.GetGenericArguments(), method.IsGenericMethod ? method.GetGenericArguments() : null);
                }
                catch (ArgumentException)
                {
                    continue;
                }

                if (target?.DeclaringType is { } type && !type.IsDefined(typeof(CompilerGeneratedAttribute), false) && type.Namespace?.StartsWith("System", StringComparison.Ordinal) is not true)
                {
                    return target;
                }
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or BadImageFormatException)
        {
            // Dynamic or unusual methods: no target.
        }

        return null;
    }
}
