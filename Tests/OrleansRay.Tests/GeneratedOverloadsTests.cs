using OrleansRay.Tools;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>The checked-in Client/*.g.cs overloads are exactly what tools/OverloadGenerator.cs (linked into this project)
/// writes today, so a generator change without regenerating, or a hand edit of a generated file, fails here. To
/// regenerate, from the repository root: dotnet run tools/GenerateOverloads.cs (SDK 10.0.300+), or on any SDK
/// ORLEANSRAY_UPDATE_GENERATED=1 dotnet test Tests/OrleansRay.Tests --filter GeneratedOverloads; then review the diff
/// (PublicApiTests records any change of the public API).</summary>
public sealed class GeneratedOverloadsTests
{
    [Fact]
    public void Checked_in_overloads_match_the_generator()
    {
        var root = FindRepositoryRoot();
        var update = Environment.GetEnvironmentVariable("ORLEANSRAY_UPDATE_GENERATED") == "1";
        var problems = new List<string>();
        foreach (var (path, generated) in OverloadGenerator.Files())
        {
            var fullPath = Path.Combine(root, path);
            if (update)
            {
                File.WriteAllText(fullPath, generated);
            }

            if (!File.Exists(fullPath))
            {
                problems.Add($"{path} is missing.");
                continue;
            }

            // Line ends are not drift (a Windows checkout may turn lf into crlf); any other byte is.
            var checkedIn = File.ReadAllText(fullPath).ReplaceLineEndings("\n");
            if (FirstDifference(checkedIn, generated) is { } difference)
            {
                problems.Add($"{path} differs from tools/OverloadGenerator.cs's output {difference}");
            }
        }

        Assert.True(problems.Count == 0,
            string.Join("\n", problems) + "\n" +
            $"Regenerate from the repository root with: {OverloadGenerator.Command} (SDK 10.0.300+), or " +
            "ORLEANSRAY_UPDATE_GENERATED=1 dotnet test Tests/OrleansRay.Tests --filter GeneratedOverloads; " +
            "do not edit the .g.cs files by hand.");
    }

    // Null when equal; otherwise where the first differing line is and both versions of it.
    private static string? FirstDifference(string checkedIn, string generated)
    {
        if (checkedIn == generated)
        {
            return null;
        }

        var a = checkedIn.Split('\n');
        var b = generated.Split('\n');
        var i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i])
        {
            i++;
        }

        static string Show(string[] lines, int i) => i < lines.Length ? lines[i] : "(end of file)";
        return $"first at line {i + 1}:\n  checked in: {Show(a, i)}\n  generated:  {Show(b, i)}";
    }

    private static string FindRepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OrleansRay.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("OrleansRay.sln not found above " + AppContext.BaseDirectory);
    }
}
