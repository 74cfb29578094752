using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>README's "Errors" list against the code: every public <see cref="RayException"/> the core API throws is in
/// it (ObjectStoreFullRayException, thrown by PutAsync and by reading a task's result, was missing), and the utilities'
/// own exceptions are documented with their utility.</summary>
public sealed class ReadmeErrorsTests
{
    /// <summary>Thrown only by a utility (RayQueue), documented in its section rather than the list.</summary>
    private static readonly HashSet<string> UtilityErrors = new(StringComparer.Ordinal) { nameof(QueueEmptyException), nameof(QueueFullException) };

    [Fact]
    public void Every_public_RayException_of_the_API_is_in_READMEs_Errors_list()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryFiles.Root, "README.md"));
        var start = readme.IndexOf("**Errors** (all `RayException`)", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no \"**Errors** (all `RayException`)\" list.");
        var end = readme.IndexOf("\n\n", start, StringComparison.Ordinal);
        var errors = readme[start..(end < 0 ? readme.Length : end)];

        var types = typeof(IRay).Assembly.GetExportedTypes()
            .Where(t => t.IsSubclassOf(typeof(RayException)))
            .Select(t => t.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Contains(nameof(ObjectStoreFullRayException), types);
        foreach (var name in types)
        {
            if (UtilityErrors.Contains(name))
            {
                Assert.True(readme.Contains($"`{name}`", StringComparison.Ordinal), $"README.md does not name {name} anywhere.");
            }
            else
            {
                Assert.True(errors.Contains($"`{name}`", StringComparison.Ordinal), $"README.md's Errors list leaves out {name}.");
            }
        }
    }
}
