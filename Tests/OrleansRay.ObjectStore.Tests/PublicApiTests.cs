using System.Reflection;
using System.Text;
using Xunit;

namespace OrleansRay.ObjectStore.Tests;

/// <summary>The object store's public surface is recorded in PublicApi.txt; changing it is a deliberate act.</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_public_api_matches_the_recorded_file()
    {
        var actual = Describe(typeof(ObjectStoreClient).Assembly);
        var recordedPath = Path.Combine(AppContext.BaseDirectory, "PublicApi.txt");
        var recorded = File.Exists(recordedPath) ? File.ReadAllText(recordedPath).ReplaceLineEndings("\n") : "";
        if (recorded != actual)
        {
            var received = Path.Combine(AppContext.BaseDirectory, "PublicApi.received.txt");
            File.WriteAllText(received, actual);
            Assert.Fail($"The public API changed. If intended, copy {received} over Tests/OrleansRay.ObjectStore.Tests/PublicApi.txt.");
        }
    }

    private static string Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            var kind = type.IsEnum ? "enum" : type.IsValueType ? "struct" : type.IsInterface ? "interface" : "class";
            lines.Add($"{kind} {Name(type)}" + (type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && !type.IsEnum ? $" : {Name(b)}" : ""));
            const BindingFlags Flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var member in type.GetMembers(Flags))
            {
                var line = member switch
                {
                    ConstructorInfo c => $"{Name(type)}.ctor({Parameters(c)})",
                    MethodInfo m when !m.IsSpecialName && m.Name != "<Clone>$" => $"{Name(type)}.{m.Name}{GenericArguments(m)}({Parameters(m)}) -> {Name(m.ReturnType)}",
                    PropertyInfo p => $"{Name(type)}.{p.Name} : {Name(p.PropertyType)}{(p.SetMethod?.IsPublic == true ? " { set; }" : "")}",
                    FieldInfo f when !f.IsSpecialName => $"{Name(type)}.{f.Name} : {Name(f.FieldType)}",
                    _ => null,
                };
                if (line is not null)
                {
                    lines.Add("  " + line);
                }
            }
        }

        // Sort by type then member, keeping each member under its type.
        var sb = new StringBuilder();
        foreach (var group in Group(lines).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            sb.Append(group.Key).Append('\n');
            foreach (var member in group.Value.Order(StringComparer.Ordinal))
            {
                sb.Append(member).Append('\n');
            }
        }

        return sb.ToString();
    }

    private static Dictionary<string, List<string>> Group(List<string> lines)
    {
        var groups = new Dictionary<string, List<string>>();
        List<string>? current = null;
        foreach (var line in lines)
        {
            if (!line.StartsWith(' '))
            {
                groups[line] = current = new List<string>();
            }
            else
            {
                current!.Add(line);
            }
        }

        return groups;
    }

    private static string GenericArguments(MethodInfo method) =>
        method.IsGenericMethodDefinition ? $"<{string.Join(", ", method.GetGenericArguments().Select(Name))}>" : "";

    private static string Parameters(MethodBase method) =>
        string.Join(", ", method.GetParameters().Select(p => $"{Name(p.ParameterType)} {p.Name}{(p.HasDefaultValue ? $" = {p.DefaultValue?.ToString()?.ToLowerInvariant() ?? "default"}" : "")}"));

    private static string Name(Type type)
    {
        if (type.IsGenericParameter)
        {
            return type.Name;
        }

        if (type.IsByRef)
        {
            return "ref " + Name(type.GetElementType()!);
        }

        if (type.IsArray)
        {
            return Name(type.GetElementType()!) + "[]";
        }

        var name = type.IsNested ? $"{Name(type.DeclaringType!)}.{type.Name}" : $"{type.Namespace}.{type.Name}";
        if (type.IsGenericType)
        {
            name = name[..name.IndexOf('`', StringComparison.Ordinal)] + "<" + string.Join(", ", type.GetGenericArguments().Select(Name)) + ">";
        }

        return name;
    }
}
