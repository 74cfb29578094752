using System.Reflection;

namespace OrleansRay;

/// <summary>Names a method (a remote function, an actor method lambda or a constructor) so another node can find it.</summary>
/// <remarks>The metadata token disambiguates overloads; assembly, type and method names make errors readable.
/// <see cref="Code"/> names the job code package the assembly comes from (a driver's shipped code), or is empty for code
/// every node has (OrleansRay itself, an embedded driver's process, <c>orleansray start --load</c>).</remarks>
[GenerateSerializer, Immutable, Alias("orleansray.function")]
public sealed record FunctionDescriptor(
    [property: Id(0)] string AssemblyName,
    [property: Id(1)] string TypeName,
    [property: Id(2)] string MethodName,
    [property: Id(3)] int MetadataToken)
{
    /// <summary>The id of the job code package (lowercase hex SHA-256 of its manifest) whose assemblies hold the method;
    /// empty when the method is in code every node loads itself.</summary>
    [Id(4)] public string Code { get; init; } = string.Empty;

    /// <summary>Describes <paramref name="method"/>.</summary>
    public static FunctionDescriptor For(MethodBase method)
    {
        ArgumentNullException.ThrowIfNull(method);
        var type = method.DeclaringType ?? throw new ArgumentException("Global methods cannot be remote functions.", nameof(method));
        return new FunctionDescriptor(type.Assembly.GetName().Name ?? type.Assembly.FullName!, type.FullName ?? type.Name, method.Name, method.MetadataToken);
    }

    /// <summary>"Type.Method" as a person reads it (compiler-generated lambda names are kept, they point at the source method).</summary>
    public string DisplayName
    {
        get
        {
            var shortType = TypeName;
            var plus = shortType.IndexOf('+', StringComparison.Ordinal);
            if (plus > 0 && shortType.AsSpan(plus + 1).StartsWith("<>c", StringComparison.Ordinal))
            {
                shortType = shortType[..plus];
            }

            var dot = shortType.LastIndexOf('.');
            return $"{(dot >= 0 ? shortType[(dot + 1)..] : shortType)}.{MethodName}";
        }
    }

    /// <inheritdoc />
    public override string ToString() => Code.Length == 0
        ? $"{TypeName}.{MethodName} in {AssemblyName}"
        : $"{TypeName}.{MethodName} in {AssemblyName} (job code {Code[..Math.Min(12, Code.Length)]})";
}
