using OrleansRay.Tests.Processes;
using OrleansRay.Train;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>README's "Errors" table against the code: every public <see cref="RayException"/> of OrleansRay and
/// OrleansRay.Train has a row that says when it is thrown (ObjectStoreFullRayException, thrown by PutAsync and by
/// reading a task's result, was missing once; the queue's and Train's were named only in their own sections, and most
/// rows said nothing of when), and ObjectLostException's row covers the owner-died case.</summary>
public sealed class ReadmeErrorsTests
{
    private const string Heading = "**Errors.**";

    [Fact]
    public void Every_public_RayException_has_a_row_in_READMEs_Errors_table_saying_when_it_is_thrown()
    {
        var rows = ErrorRows();
        var types = new[] { typeof(IRay).Assembly, typeof(TrainingFailedException).Assembly }
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => t.IsSubclassOf(typeof(RayException)))
            .Select(t => t.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Contains(nameof(ObjectStoreFullRayException), types);
        Assert.Contains(nameof(RemoteFunctionNotFoundException), types);
        foreach (var name in types)
        {
            var row = rows.FirstOrDefault(r => r.Names.Contains($"`{name}`", StringComparison.Ordinal));
            Assert.True(row.Names is not null, $"README.md's Errors table has no row for {name}.");
            Assert.True(row.When.Length >= 20, $"README.md's Errors row of {name} does not say when it is thrown.");
        }

        var lost = rows.Single(r => r.Names.Contains($"`{nameof(ObjectLostException)}`", StringComparison.Ordinal));
        Assert.Contains("owner died", lost.When, StringComparison.Ordinal);
    }

    /// <summary>The rows of the table that follows <see cref="Heading"/>: the exceptions a row names, and its "when".</summary>
    private static List<(string Names, string When)> ErrorRows()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryFiles.Root, "README.md"));
        var start = readme.IndexOf(Heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"README.md has no \"{Heading}\" part.");
        var table = readme.IndexOf("\n|", start, StringComparison.Ordinal);
        Assert.True(table >= 0, $"README.md's \"{Heading}\" part has no table.");
        var end = readme.IndexOf("\n\n", table, StringComparison.Ordinal);
        return readme[(table + 1)..(end < 0 ? readme.Length : end)]
            .Split('\n')
            .Skip(2) // the header and its rule
            .Select(line => line.Split('|', StringSplitOptions.TrimEntries))
            .Where(cells => cells.Length >= 4)
            .Select(cells => (cells[1], cells[2]))
            .ToList();
    }
}
