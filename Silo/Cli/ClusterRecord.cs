using System.Text.Json;

namespace OrleansRay.Silo.Cli;

/// <summary>A cluster <c>orleansray up</c> started on this machine, as <c>orleansray down</c> finds it:
/// <c>clusters/&lt;cluster_name&gt;.json</c> under the machine's OrleansRay folder.</summary>
/// <param name="ClusterName">The config's <c>cluster_name</c>.</param>
/// <param name="ConfigFile">The config file it was started with (full path).</param>
/// <param name="HeadPid">The head's process.</param>
/// <param name="HeadStart">The head process' start time (UTC), so a reused pid is never mistaken for it.</param>
/// <param name="Address">The head's client address HOST:PORT.</param>
/// <param name="Session">The head's session folder (its logs, the workers' logs, the local provider's records).</param>
/// <param name="DashboardUrl">The head's dashboard URL.</param>
internal sealed record ClusterRecord(string ClusterName, string ConfigFile, int HeadPid, DateTime HeadStart, string Address, string Session, string? DashboardUrl)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The folder of the records.</summary>
    public static string FolderOf(CliPaths paths) => Path.Combine(paths.Root, "clusters");

    /// <summary>The record file of cluster <paramref name="clusterName"/>.</summary>
    public static string FileOf(CliPaths paths, string clusterName) => Path.Combine(FolderOf(paths), clusterName + ".json");

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a record; null when it is missing or unreadable.</summary>
    public static ClusterRecord? TryRead(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ClusterRecord>(File.ReadAllText(path), Json);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
