// The text of the typed ray.Task(...) and handle.Task(...) overloads (Client/*.g.cs). Compiled by the script that writes
// them (tools/GenerateOverloads.cs) and by the test that compares them with the checked-in files
// (Tests/OrleansRay.Tests/GeneratedOverloadsTests.cs), so the two cannot disagree about what the files should hold.
using System.Text;

namespace OrleansRay.Tools;

/// <summary>Generates the typed overloads of <c>ray.Task(...)</c> and <c>handle.Task(...)</c>: each parameter may be passed
/// as a value or as an ObjectRef of it (2^n combinations, as Ray's Java API does), and the function may return T, Task&lt;T&gt;,
/// ValueTask&lt;T&gt;, IAsyncEnumerable&lt;T&gt; (a generator), or nothing (void, Task, ValueTask: a ref of Unit). Output uses '\n' line ends on every platform (the repository's .editorconfig says lf).</summary>
internal static class OverloadGenerator
{
    /// <summary>The command, run from the repository root, that writes the files.</summary>
    public const string Command = "dotnet run tools/GenerateOverloads.cs";

    private const int MaxArgs = 6;

    private const string TaskOf = "global::System.Threading.Tasks.Task<TResult>";
    private const string ValueTaskOf = "global::System.Threading.Tasks.ValueTask<TResult>";

    /// <summary>A task function returning IAsyncEnumerable&lt;T&gt; is a streaming generator (ADR 0013): ray.Task(...) gives
    /// a StreamingTaskCall whose Remote() returns an ObjectRefGenerator. An actor method returning it likewise
    /// gives a StreamingActorCall.</summary>
    private const string StreamingKind = "global::System.Collections.Generic.IAsyncEnumerable<TResult>";

    /// <summary>One shape of function the overloads take. <paramref name="Returns"/>: the delegate's return type (null: an
    /// Action); <paramref name="Generic"/>: the result is TResult (else Unit, Ray's None, for a function returning
    /// nothing); <paramref name="Token"/>: a generator taking the task's CancellationToken last (tasks only).</summary>
    /// <remarks>The priority orders the shapes one function converts to. An async lambda converts to Task&lt;T&gt; and
    /// ValueTask&lt;T&gt; delegates alike: prefer Task&lt;T&gt;, then ValueTask&lt;T&gt;. A method returning Task&lt;T&gt;
    /// also converts to a Func returning the non-generic Task (a reference conversion), and any Task or ValueTask to a
    /// plain TResult: so Task&lt;T&gt; and ValueTask&lt;T&gt;, then Task, then ValueTask, then a plain T. A function
    /// returning IAsyncEnumerable&lt;T&gt; (never a Task) binds to the streaming overload before the plain T one. An Action
    /// comes last: a lambda whose body is a call (<c>x =&gt; Increment(x)</c>) converts to an Action too, and must keep
    /// returning its value; only a function with nothing to return (<c>void</c>) is left with the Action.</remarks>
    private sealed record Kind(string? Returns, bool Generic, int Priority, bool Token = false)
    {
        public bool Streaming => Returns == StreamingKind;
    }

    private static readonly Kind[] Kinds =
    [
        new("TResult", Generic: true, Priority: 0),
        new(TaskOf, Generic: true, Priority: 4),
        new(ValueTaskOf, Generic: true, Priority: 3),
        new(StreamingKind, Generic: true, Priority: 5),
        new("global::System.Threading.Tasks.Task", Generic: false, Priority: 2),
        new("global::System.Threading.Tasks.ValueTask", Generic: false, Priority: 1),
        new(null, Generic: false, Priority: -1),
        // A method group C# writes for a generator, `Items(int n, [EnumeratorCancellation] CancellationToken ct = default)`,
        // takes one parameter more than its arguments: the node passes the task's token there. Above the plain streaming
        // shape, for a method group overloaded with and without the token.
        new(StreamingKind, Generic: true, Priority: 6, Token: true),
    ];

    /// <summary>Each generated file: its path relative to the repository root ('/' separators) and its full text.</summary>
    public static IReadOnlyList<(string Path, string Text)> Files() =>
    [
        ("Client/Tasks/RayTaskExtensions.g.cs", Tasks()),
        ("Client/Actors/ActorHandle.Task.g.cs", ActorMethods()),
        ("Client/Tasks/MultipleReturnsExtensions.g.cs", MultipleReturns()),
    ];

    /// <summary>The largest tuple <c>RemoteMany()</c> splits (a ValueTuple of 8 or more nests its tail).</summary>
    private const int MaxReturns = 7;

    private static string Priority(Kind kind) =>
        $"    [global::System.Runtime.CompilerServices.OverloadResolutionPriority({kind.Priority})]";

    // "<T1, ..., Tn, TResult>", or nothing for a non-generic method (no parameters, no result type).
    private static string TypeParameters(int n, Kind kind)
    {
        var names = Enumerable.Range(1, n).Select(i => $"T{i}").ToList();
        if (kind.Generic)
        {
            names.Add("TResult");
        }

        return names.Count == 0 ? string.Empty : $"<{string.Join(", ", names)}>";
    }

    // The delegate type: a Func of the inputs (and the token) and the return type, or an Action of the inputs.
    private static string Delegate(IEnumerable<string> inputs, Kind kind)
    {
        var types = inputs.ToList();
        if (kind.Token)
        {
            types.Add("global::System.Threading.CancellationToken");
        }

        if (kind.Returns is null)
        {
            return types.Count == 0 ? "global::System.Action" : $"global::System.Action<{string.Join(", ", types)}>";
        }

        types.Add(kind.Returns);
        return $"global::System.Func<{string.Join(", ", types)}>";
    }

    private static string Tasks()
    {
        var sb = new StringBuilder();
        Line(sb, "// <auto-generated> by tools/GenerateOverloads.cs; do not edit. </auto-generated>");
        Line(sb, "#nullable enable");
        Line(sb, "namespace OrleansRay;");
        Line(sb);
        Line(sb, "/// <summary>Submitting tasks: <c>ray.Task(function, args...)</c>, where each argument is a value of the parameter's type or an ObjectRef of it.</summary>");
        Line(sb, "public static class RayTaskExtensions");
        Line(sb, "{");
        for (var n = 0; n <= MaxArgs; n++)
        {
            // A generator taking the token has at most MaxArgs parameters, the token among them, and at least one argument:
            // a token-only shape would be the one candidate whose lambda parameter has a known type, and C# would report
            // any call it cannot type (ray.Task(x => x.Length, null)) against it ("CancellationToken does not contain
            // 'Length'") instead of CS0411. A generator taking only the token is submitted as ray.Task(() => Items()): its
            // [EnumeratorCancellation] parameter gets the task's token through GetAsyncEnumerator.
            foreach (var kind in Kinds.Where(k => !k.Token || (n > 0 && n < MaxArgs)))
            {
                for (var mask = 0; mask < 1 << n; mask++)
                {
                    var parameters = new List<string> { "this IRay ray", $"{Delegate(Enumerable.Range(1, n).Select(i => $"T{i}"), kind)} function" };
                    var packed = Arguments(n, mask, parameters);

                    Line(sb, kind switch
                    {
                        { Token: true } => "    /// <summary>Describes a streaming generator task (the function yields items of type TResult) whose function takes a CancellationToken last, as C#'s <c>[EnumeratorCancellation]</c> iterators do: the task's token (<c>RayContext.CancellationToken</c>) is passed there. Call <c>.Remote()</c> to submit it and get its ObjectRefGenerator.</summary>",
                        { Streaming: true } => "    /// <summary>Describes a streaming generator task (the function yields items of type TResult); call <c>.Remote()</c> to submit it and get its ObjectRefGenerator.</summary>",
                        { Generic: false } => "    /// <summary>Describes a task whose function returns nothing (<c>void</c>, <c>Task</c> or <c>ValueTask</c>); call <c>.Remote()</c> to submit it: its <c>ObjectRef&lt;Unit&gt;</c> (Ray's None) completes when the function has finished, or raises its error.</summary>",
                        _ => "    /// <summary>Describes a task; call <c>.Remote()</c> to submit it.</summary>",
                    });
                    Line(sb, Priority(kind));
                    Line(sb, $"    public static {(kind.Streaming ? "StreamingTaskCall" : "TaskCall")}<{(kind.Generic ? "TResult" : "Unit")}> Task{TypeParameters(n, kind)}({string.Join(", ", parameters)})");
                    Line(sb, $"        => new(ray, function, {packed});");
                    Line(sb);
                }
            }
        }

        Line(sb, "}");
        return sb.ToString();
    }

    private static string ActorMethods()
    {
        var sb = new StringBuilder();
        Line(sb, "// <auto-generated> by tools/GenerateOverloads.cs; do not edit. </auto-generated>");
        Line(sb, "#nullable enable");
        Line(sb, "namespace OrleansRay;");
        Line(sb);
        Line(sb, "public sealed partial class ActorHandle<TActor>");
        Line(sb, "{");
        for (var n = 0; n <= MaxArgs; n++)
        {
            // An actor method is called through a lambda, which passes a generator's token on itself.
            foreach (var kind in Kinds.Where(k => !k.Token))
            {
                for (var mask = 0; mask < 1 << n; mask++)
                {
                    var parameters = new List<string> { $"{Delegate(Enumerable.Range(1, n).Select(i => $"T{i}").Prepend("TActor"), kind)} method" };
                    var packed = Arguments(n, mask, parameters);

                    Line(sb, kind switch
                    {
                        { Streaming: true } => "    /// <summary>Describes a streaming generator call of this actor's method (the method yields items of type TResult; a lambda that captures nothing, the actor as its first parameter); call <c>.Remote()</c> to submit it and get its ObjectRefGenerator.</summary>",
                        { Generic: false } => "    /// <summary>Describes a call of this actor's method that returns nothing (<c>void</c>, <c>Task</c> or <c>ValueTask</c>; a lambda that captures nothing, the actor as its first parameter); call <c>.Remote()</c> to submit it: its <c>ObjectRef&lt;Unit&gt;</c> (Ray's None) completes when the method has finished, or raises its error.</summary>",
                        _ => "    /// <summary>Describes a call of this actor's method (a lambda that captures nothing, the actor as its first parameter); call <c>.Remote()</c> to submit it.</summary>",
                    });
                    Line(sb, Priority(kind));
                    Line(sb, $"    public {(kind.Streaming ? "StreamingActorCall" : "ActorMethodCall")}<{(kind.Generic ? "TResult" : "Unit")}> Task{TypeParameters(n, kind)}({string.Join(", ", parameters)})");
                    Line(sb, $"        => new(BoundRay, ActorId, method, {packed});");
                    Line(sb);
                }
            }
        }

        Line(sb, "}");
        return sb.ToString();
    }

    // RemoteMany() on a task or actor call whose result is a ValueTuple of 2..7 elements: one typed ref per element.
    private static string MultipleReturns()
    {
        var sb = new StringBuilder();
        Line(sb, "// <auto-generated> by tools/GenerateOverloads.cs; do not edit. </auto-generated>");
        Line(sb, "#nullable enable");
        Line(sb, "namespace OrleansRay;");
        Line(sb);
        Line(sb, "public static partial class MultipleReturnsExtensions");
        Line(sb, "{");
        foreach (var (call, what) in new[] { ("TaskCall", "task"), ("ActorMethodCall", "actor method call") })
        {
            for (var n = 2; n <= MaxReturns; n++)
            {
                var typeParams = string.Join(", ", Enumerable.Range(1, n).Select(i => $"T{i}"));
                var refs = string.Join(", ", Enumerable.Range(1, n).Select(i => $"ObjectRef<T{i}>"));
                var made = string.Join(", ", Enumerable.Range(1, n).Select(i => $"returns.Ref<T{i}>({i - 1})"));
                Line(sb, $"    /// <summary>Submits the {what} with {n} returns (Ray's <c>num_returns={n}</c>): one ref per element of the tuple it returns, each an object of its own.</summary>");
                Line(sb, $"    /// <param name=\"call\">The {what}, whose result is a tuple of {n} elements.</param>");
                Line(sb, "    /// <returns>The refs, in the tuple's order.</returns>");
                Line(sb, $"    public static ({refs}) RemoteMany<{typeParams}>(this {call}<({typeParams})> call)");
                Line(sb, "    {");
                Line(sb, $"        var returns = call.Submit({n});");
                Line(sb, $"        return ({made});");
                Line(sb, "    }");
                Line(sb);
            }
        }

        Line(sb, "}");
        return sb.ToString();
    }

    // Adds arg1..argN to parameters (a value or an ObjectRef as mask's bit i-1 says) and returns the TaskArg[] expression.
    private static string Arguments(int n, int mask, List<string> parameters)
    {
        if (n == 0)
        {
            return "global::System.Array.Empty<TaskArg>()";
        }

        var packed = new List<string>();
        for (var i = 1; i <= n; i++)
        {
            var isRef = (mask & (1 << (i - 1))) != 0;
            parameters.Add(isRef ? $"ObjectRef<T{i}> arg{i}" : $"T{i} arg{i}");
            packed.Add(isRef ? $"ArgumentPacker.Ref(arg{i})" : $"ArgumentPacker.Value(arg{i})");
        }

        return $"new TaskArg[] {{ {string.Join(", ", packed)} }}";
    }

    private static void Line(StringBuilder sb, string text = "") => sb.Append(text).Append('\n');
}
