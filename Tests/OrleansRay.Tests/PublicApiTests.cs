using System.Reflection;
using System.Text;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>The public surface of the OrleansRay (Client) assembly is recorded in PublicApi.Client.txt; a change that is
/// not recorded fails here. To accept a deliberate change: ORLEANSRAY_UPDATE_PUBLIC_API=1 dotnet test --filter PublicApi,
/// review the diff of the file, and note the change in CHANGELOG.md.</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void Public_api_of_the_client_matches_the_recorded_file()
    {
        var recordedPath = Path.Combine(FindTestsFolder(), "PublicApi.Client.txt");
        var actual = Describe(typeof(Ray).Assembly);
        if (Environment.GetEnvironmentVariable("ORLEANSRAY_UPDATE_PUBLIC_API") == "1")
        {
            File.WriteAllText(recordedPath, actual);
        }

        Assert.True(File.Exists(recordedPath), $"{recordedPath} is missing: run with ORLEANSRAY_UPDATE_PUBLIC_API=1 to record it.");
        var recorded = File.ReadAllText(recordedPath).ReplaceLineEndings("\n");
        var added = actual.Split('\n').Except(recorded.Split('\n')).ToList();
        var removed = recorded.Split('\n').Except(actual.Split('\n')).ToList();
        Assert.True(added.Count == 0 && removed.Count == 0,
            "The public API changed without updating PublicApi.Client.txt (see the test's summary for how).\n" +
            $"Added:\n  {string.Join("\n  ", added.Take(40))}\nRemoved:\n  {string.Join("\n  ", removed.Take(40))}");
    }

    private static string Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            lines.Add($"type {Name(type)}{(type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) ? " : " + Name(b) : string.Empty)}");
            const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var member in type.GetMembers(flags))
            {
                var text = member switch
                {
                    ConstructorInfo c => $"  ctor({Parameters(c)})",
                    MethodInfo m when !m.IsSpecialName => $"  {(m.IsStatic ? "static " : string.Empty)}{Name(m.ReturnType)} {m.Name}{Generic(m)}({Parameters(m)})",
                    PropertyInfo p => $"  {Name(p.PropertyType)} {p.Name} {{{(p.GetMethod?.IsPublic == true ? " get;" : string.Empty)}{(p.SetMethod?.IsPublic == true ? " set;" : string.Empty)} }}",
                    FieldInfo f => $"  {(f.IsStatic ? "static " : string.Empty)}{Name(f.FieldType)} {f.Name}",
                    EventInfo e => $"  event {Name(e.EventHandlerType!)} {e.Name}",
                    _ => null,
                };
                if (text is not null)
                {
                    lines.Add($"{Name(type)}:{text}");
                }
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return string.Join("\n", lines) + "\n";
    }

    private static string Generic(MethodInfo m) => m.IsGenericMethod ? "<" + string.Join(", ", m.GetGenericArguments().Select(Name)) + ">" : string.Empty;

    private static string Parameters(MethodBase m) => string.Join(", ", m.GetParameters().Select(p => $"{Name(p.ParameterType)} {p.Name}{(p.HasDefaultValue ? " = " + (p.DefaultValue ?? "null") : string.Empty)}"));

    private static string Name(Type t)
    {
        if (t.IsGenericParameter)
        {
            return t.Name;
        }

        var sb = new StringBuilder();
        if (t.IsNested)
        {
            sb.Append(Name(t.DeclaringType!)).Append('.');
        }
        else if (!string.IsNullOrEmpty(t.Namespace))
        {
            sb.Append(t.Namespace).Append('.');
        }

        var name = t.Name;
        var tick = name.IndexOf('`');
        sb.Append(tick >= 0 ? name[..tick] : name);
        if (t.IsGenericType)
        {
            var args = t.GetGenericArguments();
            sb.Append('<').Append(string.Join(", ", args.Select(Name))).Append('>');
        }

        return sb.ToString();
    }

    private static string FindTestsFolder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OrleansRay.Tests.csproj")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("OrleansRay.Tests.csproj not found above " + AppContext.BaseDirectory);
    }
}
