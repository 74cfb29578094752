using Microsoft.Extensions.Logging;

namespace OrleansRay.Silo.Hosting;

internal static partial class NodeHost
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Node started: clients connect to {Address}, nodes to port {NodePort}, head: {IsHead}, storage: {Storage}")]
    private static partial void LogNodeStarted(ILogger logger, string address, int nodePort, bool isHead, string storage);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dashboard at {Url} (Orleans dashboard under /orleans, Prometheus metrics at /metrics)")]
    private static partial void LogDashboard(ILogger logger, string url);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Address} stopped")]
    private static partial void LogNodeStopped(ILogger logger, string address);

    [LoggerMessage(Level = LogLevel.Error, Message = "The node failed to start")]
    private static partial void LogStartFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded application assemblies (--load): {Assemblies}")]
    private static partial void LogAssembliesLoaded(ILogger logger, string assemblies);
}
