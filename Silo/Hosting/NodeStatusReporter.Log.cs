using Microsoft.Extensions.Logging;

namespace OrleansRay.Silo.Hosting;

internal sealed partial class NodeStatusReporter
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting this node's status to the node table failed ({ErrorType}: {Error}); retrying every second")]
    private partial void LogReportFailed(string errorType, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reporting this node's status to the node table works again")]
    private partial void LogReportRecovered();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not mark this node dead in the node table at shutdown ({ErrorType}: {Error})")]
    private partial void LogMarkDeadFailed(string errorType, string error);
}
