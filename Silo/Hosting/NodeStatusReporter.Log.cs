using Microsoft.Extensions.Logging;

namespace OrleansRay.Silo.Hosting;

internal sealed partial class NodeStatusReporter
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not mark this node dead in the node table at shutdown ({ErrorType}: {Error})")]
    private partial void LogMarkDeadFailed(string errorType, string error);
}
