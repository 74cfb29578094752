using System.Text.Json;

namespace OrleansRay.Deploy.Tests;

/// <summary>deploy/kubernetes rendered by <c>kubectl kustomize</c>, once per test run. The base reads its secrets
/// from files git ignores (deploy/kubernetes/secrets); the tests render a copy with made-up values in them.</summary>
internal static class Manifests
{
    private static readonly Lazy<Task<string>> Rendered = new(() => RenderAsync(withAutoscaling: false));
    private static readonly Lazy<Task<string>> RenderedWithAutoscaling = new(() => RenderAsync(withAutoscaling: true));

    public static string KubernetesFolder { get; } = Path.Combine(DeployCheck.DeployFolder, "kubernetes");

    /// <summary>The secret files the kustomization reads, relative to its folder.</summary>
    public static readonly string[] SecretFiles = ["secrets/auth-token", "secrets/storage", "secrets/postgres-password"];

    /// <summary>The base as shipped, or with its commented-out <c>components: [autoscaling]</c> line turned on (the
    /// opt-in autoscaler on the head, deploy/kubernetes/autoscaling).</summary>
    public static Task<string> YamlAsync(bool withAutoscaling = false) => withAutoscaling ? RenderedWithAutoscaling.Value : Rendered.Value;

    /// <summary>The rendered objects as JSON (through yaml-to-json.js).</summary>
    public static async Task<JsonElement[]> ObjectsAsync(bool withAutoscaling = false)
    {
        var yaml = DeployCheck.TempFile(await YamlAsync(withAutoscaling), ".yaml");
        try
        {
            var result = await DeployCheck.NodeAsync("yaml-to-json.js", yaml);
            Assert.True(result.ExitCode == 0, $"yaml-to-json.js: {result}");
            using var document = JsonDocument.Parse(result.Output);
            return [.. document.RootElement.EnumerateArray().Select(e => e.Clone())];
        }
        finally
        {
            File.Delete(yaml);
        }
    }

    /// <summary>A copy of deploy/kubernetes in a new temp folder, with the secret files written when
    /// <paramref name="withSecrets"/>. The caller deletes it.</summary>
    public static string CopyBase(bool withSecrets)
    {
        var copy = Path.Combine(Path.GetTempPath(), "orleansray-kustomize-" + Guid.NewGuid().ToString("N")[..12]);
        foreach (var file in Directory.EnumerateFiles(KubernetesFolder, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(KubernetesFolder, file);
            if (SecretFiles.Contains(relative.Replace('\\', '/')))
            {
                // The developer's real secrets, if any: never copied.
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(copy, relative))!);
            File.Copy(file, Path.Combine(copy, relative));
        }

        if (withSecrets)
        {
            Directory.CreateDirectory(Path.Combine(copy, "secrets"));
            File.WriteAllText(Path.Combine(copy, "secrets", "auth-token"), "test-token-0123456789abcdef");
            File.WriteAllText(Path.Combine(copy, "secrets", "postgres-password"), "test-password");
            File.WriteAllText(Path.Combine(copy, "secrets", "storage"), "Host=orleansray-postgres;Port=5432;Database=orleansray;Username=orleansray;Password=test-password");
        }

        return copy;
    }

    private static async Task<string> RenderAsync(bool withAutoscaling)
    {
        var copy = CopyBase(withSecrets: true);
        try
        {
            if (withAutoscaling)
            {
                var kustomization = Path.Combine(copy, "kustomization.yaml");
                var text = File.ReadAllText(kustomization);
                const string Commented = "# components: [autoscaling]";
                Assert.Contains(Commented, text, StringComparison.Ordinal);
                File.WriteAllText(kustomization, text.Replace(Commented, "components: [autoscaling]", StringComparison.Ordinal));
            }

            var result = await DeployCheck.KubectlKustomizeAsync(copy);
            Assert.True(result.ExitCode == 0, $"kubectl kustomize: {result}");
            return result.Output;
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }
}
