using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;

namespace OrleansRay.Execution;

/// <summary>Gives compiler-generated lambdas a name a person recognizes: the method they call
/// (<c>c =&gt; c.Increment()</c> reads as "Counter.Increment"), found by reading the lambda's IL.</summary>
/// <remarks>A lambda is named after a method only when that is the one method it calls
/// (<see cref="SoleTarget"/>): one that may call one method or another (<c>v == 2 ? c.Throw() : c.Increment()</c>), or
/// calls several in turn, keeps the compiler's name, which points at the method it is written in
/// ("Tests.&lt;Run&gt;b__3_0"), as a lambda that calls nothing of the user's does: an error must not name a method that
/// may not have run.</remarks>
internal static class LambdaNames
{
    /// <summary>The name to show for <paramref name="method"/>: the one method a lambda calls, a local function's own
    /// name ("Program.Slow" for <c>Slow</c> declared in top-level statements, which the compiler names
    /// <c>&lt;&lt;Main&gt;$&gt;g__Slow|0_1</c>), a lambda that calls no one method as the method it is written in
    /// ("Tests.Run.&lt;lambda&gt;", as Python's qualified names read; "Program.&lt;lambda&gt;" in top-level statements), else
    /// <paramref name="fallback"/>.</summary>
    public static string Describe(MethodBase method, string fallback) =>
        SoleTarget(method) is { DeclaringType: { } type } target ? (target is ConstructorInfo ? $"new {type.Name}" : $"{type.Name}.{MemberName(target)}")
        : LocalFunctionName(method.Name) is { } local && method.DeclaringType is { } declaring ? $"{declaring.Name}.{local}"
        : LambdaOwner(method) is { } owner ? $"{owner}.<lambda>"
        : fallback;

    /// <summary>A method's name as its source reads: a property's getter by the property's name.</summary>
    private static string MemberName(MethodBase method) =>
        method.IsSpecialName && method.Name.StartsWith("get_", StringComparison.Ordinal) ? method.Name[4..] : method.Name;

    /// <summary>"Type.Method" of the method a lambda is written in, read from its compiled name (<c>&lt;Run&gt;b__3_0</c>
    /// in <c>Tests+&lt;&gt;c</c> gives "Tests.Run"; top-level statements give "Program"); null for any other method.</summary>
    private static string? LambdaOwner(MethodBase method)
    {
        var name = method.Name;
        var end = name.LastIndexOf(">b__", StringComparison.Ordinal);
        if (!name.StartsWith('<') || end < 1 || method.DeclaringType is not { } type)
        {
            return null;
        }

        // Lambdas live in a nested class the compiler makes (<>c, or a display class); the user's type encloses it.
        var owner = type.Name.StartsWith('<') && type.DeclaringType is { } enclosing ? enclosing : type;
        var outer = name[1..end];
        return outer.StartsWith('<') ? owner.Name : $"{owner.Name}.{outer}";
    }

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

    /// <summary>The first method of user code a compiler-generated lambda calls; null for other methods or when none is
    /// found.</summary>
    public static MethodBase? Target(MethodBase method) => Read(method) is { Calls.Count: > 0 } body ? body.Calls[0] : null;

    /// <summary>The method a compiler-generated lambda is a call of: the only method of user code it calls (however
    /// often), or, in a lambda without conditional branches, its last call when every call before it is a constructor
    /// or a property getter (<c>(c, v) =&gt; c.Add(new Point(v, 1))</c> is a call of Add). Null when it may call one
    /// method or another, calls several methods in turn, calls none, or is not a lambda.</summary>
    public static MethodBase? SoleTarget(MethodBase method)
    {
        if (Read(method) is not { Calls.Count: > 0 } body)
        {
            return null;
        }

        var last = body.Calls[^1];
        if (body.Calls.TrueForAll(call => call.Equals(last)))
        {
            return last;
        }

        if (body.Branches)
        {
            return null;
        }

        for (var i = 0; i < body.Calls.Count - 1; i++)
        {
            if (!IsConstructorOrGetter(body.Calls[i]))
            {
                return null;
            }
        }

        return last;
    }

    private static bool IsConstructorOrGetter(MethodBase method) =>
        method is ConstructorInfo || (method.IsSpecialName && method.Name.StartsWith("get_", StringComparison.Ordinal));

    /// <summary>What a lambda's IL calls of user code (in order) and whether it branches on a condition; null for a method
    /// that is not a compiler-generated lambda, or whose IL cannot be read. An async lambda's body is its state machine's
    /// <c>MoveNext</c> (its own IL only creates and starts the machine).</summary>
    private static LambdaBody? Read(MethodBase method)
    {
        if (!method.Name.StartsWith('<') || method.DeclaringType?.IsDefined(typeof(CompilerGeneratedAttribute), false) is not true)
        {
            return null;
        }

        if (method.GetCustomAttribute<StateMachineAttribute>(inherit: false)?.StateMachineType is { } machine)
        {
            if (machine.GetMethod(nameof(IAsyncStateMachine.MoveNext), BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public) is not { } moveNext)
            {
                return null;
            }

            method = moveNext;
        }

        try
        {
            var il = method.GetMethodBody()?.GetILAsByteArray();
            if (il is null)
            {
                return null;
            }

            var body = new LambdaBody();
            for (var i = 0; i < il.Length;)
            {
                var code = il[i] == 0xFE && i + 1 < il.Length ? Codes.TwoByte[il[i + 1]] : Codes.OneByte[il[i]];
                if (code is not { } op)
                {
                    return body; // not IL this reader knows: what was read so far
                }

                i += op.Size;
                if (op.OperandType == OperandType.InlineSwitch)
                {
                    body.Branches = true;
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    continue;
                }

                if (op.FlowControl == FlowControl.Cond_Branch)
                {
                    body.Branches = true;
                }

                if ((op.Value == OpCodes.Call.Value || op.Value == OpCodes.Callvirt.Value || op.Value == OpCodes.Newobj.Value)
                    && Resolve(method, BitConverter.ToInt32(il, i)) is { DeclaringType: { } type } target
                    && !type.IsDefined(typeof(CompilerGeneratedAttribute), false) && !type.Name.StartsWith('<')
                    && type.Namespace?.StartsWith("System", StringComparison.Ordinal) is not true && !IsRuntime(type.Assembly))
                {
                    body.Calls.Add(target);
                }

                i += OperandSize(op.OperandType);
            }

            return body;
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or BadImageFormatException or ArgumentException)
        {
            return null; // dynamic or unusual methods: no target
        }
    }

    /// <summary>True for OrleansRay's own assemblies: a lambda's reads of <c>RayContext</c>, <c>Ray.Current</c> or a ref are
    /// not what it does (<c>() =&gt; File.ReadAllText(RayContext.WorkingDirectory!)</c> is not "RayContext.WorkingDirectory").</summary>
    private static bool IsRuntime(Assembly assembly) =>
        assembly == typeof(LambdaNames).Assembly || assembly == typeof(FunctionDescriptor).Assembly
        || string.Equals(assembly.GetName().Name, "OrleansRay", StringComparison.Ordinal);

    private static MethodBase? Resolve(MethodBase method, int token)
    {
        try
        {
            return method.Module.ResolveMethod(token, method.DeclaringType!.GetGenericArguments(), method.IsGenericMethod ? method.GetGenericArguments() : null);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static int OperandSize(OperandType type) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };

    /// <summary>The one-byte opcodes by value, and the two-byte ones (after 0xFE) by their second byte.</summary>
    private static readonly (OpCode?[] OneByte, OpCode?[] TwoByte) Codes = OpCodeTables();

    private static (OpCode?[] OneByte, OpCode?[] TwoByte) OpCodeTables()
    {
        var oneByte = new OpCode?[256];
        var twoByte = new OpCode?[256];
        foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            if (field.GetValue(null) is OpCode op)
            {
                var value = (ushort)op.Value;
                if (op.Size == 1)
                {
                    oneByte[value & 0xFF] = op;
                }
                else if (value >> 8 == 0xFE)
                {
                    twoByte[value & 0xFF] = op;
                }
            }
        }

        return (oneByte, twoByte);
    }

    private sealed class LambdaBody
    {
        /// <summary>The methods of user code it calls, in the order of the IL.</summary>
        public List<MethodBase> Calls { get; } = new();

        /// <summary>True when it has a conditional branch (or a switch): which calls run depends on its inputs.</summary>
        public bool Branches { get; set; }
    }
}
