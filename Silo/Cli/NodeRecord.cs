using System.Text.Json;

namespace OrleansRay.Silo.Cli;

/// <summary>A running node as its pid file describes it; written by the node once it is up, removed when it stops.</summary>
/// <param name="Pid">The node process.</param>
/// <param name="ProcessStart">The process' start time, so a reused pid is never mistaken for the node.</param>
/// <param name="Address">Client address "host:port" (the gateway).</param>
/// <param name="NodePort">Silo-to-silo port.</param>
/// <param name="IsHead">True for the head node.</param>
/// <param name="Session">The session folder.</param>
/// <param name="LogFile">The node's log.</param>
/// <param name="DashboardUrl">The head's dashboard URL (null on workers, and in files of older nodes).</param>
internal sealed record NodeRecord(int Pid, DateTime ProcessStart, string Address, int NodePort, bool IsHead, string Session, string LogFile, string? DashboardUrl = null)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a pid file; null when it is gone or unreadable (a node writing or removing it right now).</summary>
    public static NodeRecord? TryRead(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<NodeRecord>(File.ReadAllText(path), Json);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
