using System.Reflection;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>A program's embedded node (<c>Ray.InitAsync()</c>) hosts no web server: the dashboard, <c>/metrics</c> and
/// the job API come only with <c>orleansray start --head</c> (the CLI's assembly, which references ASP.NET Core). README
/// once said the embedded node had an open dashboard on loopback and served <c>/metrics</c> (found by a reviewer: such a
/// process listens on no HTTP port); this keeps the library and README's Dashboard section in step.</summary>
public sealed class EmbeddedNodeHttpTests
{
    /// <summary>The assemblies a web host (the dashboard's: Kestrel, routing, the Prometheus endpoint) comes from.</summary>
    private static readonly string[] WebHost = ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server", "Microsoft.AspNetCore.Routing", "Microsoft.AspNetCore.Http", "OpenTelemetry.Exporter.Prometheus"];

    [Fact]
    public void The_library_hosting_the_embedded_node_has_no_web_server_and_README_says_only_the_head_serves_the_dashboard()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<Assembly>([typeof(IRay).Assembly]);
        while (pending.TryPop(out var assembly))
        {
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                var name = reference.Name ?? string.Empty;
                // Orleans' own networking uses Microsoft.AspNetCore.Connections.Abstractions (no HTTP); a web host needs these.
                Assert.False(WebHost.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)), $"{assembly.GetName().Name} references {name}: the embedded node could serve HTTP, and README's Dashboard section says it does not.");
                if (name.StartsWith("OrleansRay", StringComparison.Ordinal) && seen.Add(name))
                {
                    pending.Push(Assembly.Load(reference));
                }
            }
        }

        Assert.Contains("OrleansRay.Grains", seen);
        var readme = File.ReadAllText(Path.Combine(RepositoryFiles.Root, "README.md")).ReplaceLineEndings(" ");
        var dashboard = readme[readme.IndexOf(" ## Dashboard ", StringComparison.Ordinal)..];
        Assert.Contains("Only the head serves the dashboard, `/api`, `/metrics` and the job API: a program that runs its own embedded node (`Ray.InitAsync()` without an address) listens on no HTTP port", dashboard, StringComparison.Ordinal);
        Assert.DoesNotContain("embedded node's dashboard", readme, StringComparison.Ordinal);
        Assert.DoesNotContain("or the embedded node)", readme, StringComparison.Ordinal);
    }
}
