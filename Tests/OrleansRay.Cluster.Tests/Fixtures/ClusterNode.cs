using System.Globalization;
using OrleansRay.Tests.Processes;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>A node a test started with <c>orleansray start</c>: its ports, its process and its object store process.</summary>
/// <param name="IsHead">The head (<c>--head</c>) or a worker (<c>--address</c>).</param>
/// <param name="Port">Client (gateway) port.</param>
/// <param name="NodePort">Silo-to-silo port: the node id is "127.0.0.1:NodePort@generation".</param>
/// <param name="Process">The node process.</param>
/// <param name="Store">Its object store child process (orleansray-store).</param>
/// <param name="Resources">The <c>--resources</c> JSON it was started with, if any.</param>
/// <param name="LogFile">The node's log (in its session folder, until <c>orleansray stop</c> removes it).</param>
public sealed record ClusterNode(bool IsHead, int Port, int NodePort, ProcessTree.Identity Process, ProcessTree.Identity? Store, string? Resources, string? LogFile)
{
    public string Address => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>Every node id of this node starts so (Orleans' silo address: endpoint, then '@' and the generation).</summary>
    public string NodeIdPrefix => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{NodePort}@");

    public bool IsRunning => ProcessTree.IsRunning(Process);

    /// <summary>True when <paramref name="nodeId"/> (from status, NodesAsync or RayContext.NodeId) names this node.</summary>
    public bool Owns(string? nodeId) => nodeId is not null && nodeId.StartsWith(NodeIdPrefix, StringComparison.Ordinal);

    /// <summary>The last lines of the node's log, for a failure message ("(no log)" once it is gone).</summary>
    public string LogTail(int lines = 40)
    {
        try
        {
            return LogFile is null ? "(no log)" : string.Join('\n', File.ReadLines(LogFile).TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    public override string ToString() => $"{(IsHead ? "head" : "worker")} {Address} (node port {NodePort.ToString(CultureInfo.InvariantCulture)}, pid {Process.Pid.ToString(CultureInfo.InvariantCulture)})";
}
