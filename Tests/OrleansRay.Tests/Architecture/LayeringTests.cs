using System.Reflection;
using ArchUnitNET.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OrleansRay.Tests.Processes;
using Xunit;
using ArchitectureModel = ArchUnitNET.Domain.Architecture;
using GenericArgument = ArchUnitNET.Domain.GenericArgument;
using IType = ArchUnitNET.Domain.IType;

namespace OrleansRay.Tests.Architecture;

/// <summary>The runtime assembly (OrleansRay.Grains) keeps the layers of issue 10: each layer calls only the layers below
/// it, the control store stands beside them, no type escapes the map, and no type grows past what a reader can hold.</summary>
/// <remarks>
/// <para>Dependencies are read from the compiled assembly by ArchUnitNET (Mono.Cecil): signatures, fields, attributes,
/// generic arguments and method bodies, lambdas and async state machines counted for the type that wrote them. A
/// constant leaves no trace there (the compiler copies its value), nor does <c>nameof</c>, so the sources under
/// <c>Grains/</c> are also checked for using directives and qualified names of a layer they may not use.</para>
/// <para>Types of the shared vocabulary (namespaces <c>OrleansRay</c>, <c>OrleansRay.Grains</c>,
/// <c>OrleansRay.ObjectStore</c>) and of other libraries are in no layer, so every layer may use them.</para>
/// </remarks>
public sealed class LayeringTests
{
    /// <summary>The runtime's layers, top to bottom: a layer may use the layers after it, never one before it
    /// (ARCHITECTURE.md, "The runtime's layers"). A layer's sub-namespaces belong to it.</summary>
    private static readonly string[] Layers =
    [
        "OrleansRay.Node",
        "OrleansRay.Actors",
        "OrleansRay.Placement",
        "OrleansRay.Scheduling",
        "OrleansRay.Execution",
        "OrleansRay.Ownership",
        "OrleansRay.Code",
        "OrleansRay.Transport",
    ];

    /// <summary>The control store (the GCS grains), a side layer: it uses none of <see cref="Layers"/>, and of them only the
    /// top one, Node, uses it (code outside the Grains assembly may too).</summary>
    private const string ControlStore = "OrleansRay.ControlStore";

    /// <summary>Namespaces of the Grains assembly that no one writes by hand: Orleans' code generator (serializers,
    /// proxies, invokers of the grains) and the attributes the compiler embeds.</summary>
    private static readonly string[] GeneratedNamespaces =
        ["OrleansCodeGen", "Microsoft.CodeAnalysis", "System.Runtime.CompilerServices"];

    /// <summary>Lines one type may span, its doc comment to its closing brace, summed over its partial files: past this a
    /// reader loses the thread (issue 10). Split by concern into a collaborator class; a partial file does not count as a split.</summary>
    private const int MaxTypeLines = 450;

    private const string RuntimeAssembly = "OrleansRay.Grains";

    // Loaded by name, not through one of its types, so that moving a type does not break the test. It is in the test's
    // folder: the Client project references it.
    private static readonly Lazy<ArchitectureModel> Runtime =
        new(() => new ArchLoader().LoadAssemblies(Assembly.Load(RuntimeAssembly)).Build());

    public static TheoryData<string> AllLayers => new([.. Layers, ControlStore]);

    [Theory]
    [MemberData(nameof(AllLayers))]
    public void Layer_uses_only_the_layers_below_it(string layer)
    {
        var types = RuntimeTypes().Where(type => LayerOf(type.Namespace.FullName) == layer).ToList();
        Assert.True(types.Count > 0, $"{RuntimeAssembly} has no type in {layer}: the layer map of this test is out of date.");

        var offending = types
            .SelectMany(type => type.Dependencies.SelectMany(dependency => TargetsOf(dependency.Target, dependency.TargetGenericArguments)
                .Select(target => (Origin: type, Target: target, Kind: dependency.GetType().Name))))
            .Where(d => LayerOf(d.Target.Namespace.FullName) is { } to && !MayUse(layer, to))
            .GroupBy(d => (Origin: d.Origin.FullName, Target: d.Target.FullName))
            .Select(g => $"{g.Key.Origin} -> {g.Key.Target} ({string.Join(", ", g.Select(d => d.Kind.Replace("Dependency", string.Empty)).Distinct().Order())})")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(offending.Count == 0,
            $"{layer} may use {Describe(Allowed(layer))}; these dependencies break the layering " +
            $"(ARCHITECTURE.md, \"The runtime's layers\"):\n  {string.Join("\n  ", offending)}");
    }

    [Fact]
    public void Runtime_sources_name_only_the_layers_below_them()
    {
        var offending = new List<string>();
        foreach (var (path, root) in RuntimeSources())
        {
            if (root.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault() is not { } ns
                || LayerOf(ns.Name.ToString()) is not { } layer)
            {
                continue; // no layer: Every_runtime_type_lives_in_a_layer reports its types
            }

            var names = root.DescendantNodes().OfType<UsingDirectiveSyntax>().Where(u => u.Name is not null).Select(u => (Text: Squeeze(u.Name!), Shown: u.ToString()))
                .Concat(root.DescendantNodes()
                    .Where(n => n is QualifiedNameSyntax or MemberAccessExpressionSyntax or AliasQualifiedNameSyntax)
                    .Where(n => n.Parent is not (QualifiedNameSyntax or MemberAccessExpressionSyntax or AliasQualifiedNameSyntax
                        or UsingDirectiveSyntax or BaseNamespaceDeclarationSyntax))
                    .Select(n => (Text: Squeeze(n), Shown: Squeeze(n))));
            offending.AddRange(names
                .Where(name => LayerOf(name.Text) is { } to && !MayUse(layer, to))
                .Select(name => $"{path} ({layer}): {name.Shown}")
                .Distinct());
        }

        Assert.True(offending.Count == 0,
            "These sources name a layer they may not use (ARCHITECTURE.md, \"The runtime's layers\"); a constant or nameof " +
            $"of a higher layer leaves no trace in the assembly, so only this check sees it:\n  {string.Join("\n  ", offending.Order(StringComparer.Ordinal))}");
    }

    [Fact]
    public void Every_runtime_type_lives_in_a_layer()
    {
        Assert.NotEmpty(RuntimeTypes());
        var outside = RuntimeTypes()
            .Where(type => LayerOf(type.Namespace.FullName) is null)
            .Select(type => type.FullName)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(outside.Count == 0,
            $"Every type of {RuntimeAssembly} belongs in one of the layer namespaces ({string.Join(", ", Layers.Append(ControlStore))}) " +
            $"so that the layering rule covers it; these are outside them:\n  {string.Join("\n  ", outside)}");
    }

    [Fact]
    public void No_runtime_type_is_longer_than_the_limit()
    {
        var types = new Dictionary<string, (int Lines, SortedSet<string> Files)>(StringComparer.Ordinal);
        foreach (var (path, root) in RuntimeSources())
        {
            foreach (var declaration in root.DescendantNodes().OfType<BaseTypeDeclarationSyntax>())
            {
                var name = FullName(declaration);
                var (lines, files) = types.TryGetValue(name, out var seen) ? seen : (0, new SortedSet<string>(StringComparer.Ordinal));
                files.Add(path);
                types[name] = (lines + LineCount(declaration), files);
            }
        }

        Assert.NotEmpty(types);
        var tooLong = types
            .Where(t => t.Value.Lines > MaxTypeLines)
            .OrderByDescending(t => t.Value.Lines)
            .Select(t => $"{t.Key}: {t.Value.Lines} lines ({string.Join(", ", t.Value.Files)})")
            .ToList();
        Assert.True(tooLong.Count == 0,
            $"Types in Grains/ longer than {MaxTypeLines} lines (doc comment to closing brace, summed over partial files); " +
            $"split each by concern into a collaborator class:\n  {string.Join("\n  ", tooLong)}");
    }

    /// <summary>Whether code of <paramref name="from"/> may use types of <paramref name="to"/>: the layer map's one rule.</summary>
    private static bool MayUse(string from, string to)
    {
        if (from == to)
        {
            return true;
        }

        if (from == ControlStore)
        {
            return false;
        }

        return to == ControlStore ? from == Layers[0] : Array.IndexOf(Layers, to) > Array.IndexOf(Layers, from);
    }

    private static IEnumerable<string> Allowed(string layer) =>
        Layers.Append(ControlStore).Where(to => to != layer && MayUse(layer, to));

    private static string Describe(IEnumerable<string> layers) =>
        layers.Any() ? "only " + string.Join(", ", layers) : "none of the other layers";

    /// <summary>The layer of a namespace, or of a name that starts with one; null for shared vocabulary, other libraries
    /// and unmapped namespaces.</summary>
    private static string? LayerOf(string? name) =>
        name is null ? null : Layers.Append(ControlStore).FirstOrDefault(layer => name == layer || name.StartsWith(layer + ".", StringComparison.Ordinal));

    /// <summary>The hand-written types of the runtime assembly, nested types included; compiler-made ones (closures, state
    /// machines) ArchUnitNET folds into the type that wrote them.</summary>
    private static IEnumerable<IType> RuntimeTypes() =>
        Runtime.Value.Types.Where(type =>
            type.Assembly.Name.Split(',')[0] == RuntimeAssembly
            && !type.IsCompilerGenerated
            && !type.Name.StartsWith('<')
            && !GeneratedNamespaces.Any(ns => type.Namespace.FullName == ns || type.Namespace.FullName.StartsWith(ns + ".", StringComparison.Ordinal)));

    /// <summary>A dependency's target and, recursively, its generic arguments (a field of <c>List&lt;T&gt;</c> uses T too).</summary>
    private static IEnumerable<IType> TargetsOf(IType target, IEnumerable<GenericArgument> arguments) =>
        arguments.Aggregate(Enumerable.Repeat(target, 1), (all, argument) => all.Concat(TargetsOf(argument.Type, argument.GenericArguments)));

    /// <summary>The hand-written C# files under <c>Grains/</c> (not bin/ or obj/), each with its path from there.</summary>
    private static IEnumerable<(string Path, SyntaxNode Root)> RuntimeSources()
    {
        var grains = Path.Combine(RepositoryFiles.Root, "Grains");
        return Directory.EnumerateFiles(grains, "*.cs", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(grains, file).Replace('\\', '/'))
            .Where(path => !path.StartsWith("bin/", StringComparison.Ordinal) && !path.StartsWith("obj/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(path => (path, CSharpSyntaxTree.ParseText(File.ReadAllText(Path.Combine(grains, path)), path: path).GetRoot()));
    }

    /// <summary>A name as written, without whitespace or <c>global::</c>.</summary>
    private static string Squeeze(SyntaxNode name) =>
        string.Concat(name.ToString().Where(c => !char.IsWhiteSpace(c))).Replace("global::", string.Empty, StringComparison.Ordinal);

    private static string FullName(BaseTypeDeclarationSyntax declaration)
    {
        var name = declaration.Identifier.ValueText +
            (declaration is TypeDeclarationSyntax { TypeParameterList.Parameters.Count: > 0 and var arity } ? "`" + arity : string.Empty);
        return declaration.Parent switch
        {
            BaseTypeDeclarationSyntax outer => FullName(outer) + "+" + name,
            BaseNamespaceDeclarationSyntax ns => NamespaceOf(ns) + "." + name,
            _ => name,
        };
    }

    private static string NamespaceOf(BaseNamespaceDeclarationSyntax ns) =>
        ns.Parent is BaseNamespaceDeclarationSyntax outer ? NamespaceOf(outer) + "." + ns.Name : ns.Name.ToString();

    /// <summary>Lines from the declaration's first leading comment (its doc comment) or attribute to its closing brace.</summary>
    private static int LineCount(BaseTypeDeclarationSyntax declaration)
    {
        var comment = declaration.GetLeadingTrivia().FirstOrDefault(t => t.Kind() is SyntaxKind.SingleLineDocumentationCommentTrivia
            or SyntaxKind.MultiLineDocumentationCommentTrivia or SyntaxKind.SingleLineCommentTrivia or SyntaxKind.MultiLineCommentTrivia);
        var start = comment == default ? declaration.SpanStart : comment.SpanStart;
        var text = declaration.SyntaxTree.GetText();
        return text.Lines.GetLineFromPosition(declaration.Span.End).LineNumber - text.Lines.GetLineFromPosition(start).LineNumber + 1;
    }
}
