using Microsoft.Extensions.Logging;

namespace OrleansRay.Scheduling;

internal sealed partial class SchedulerEngine
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Starting lease {LeaseId} through the executor grain failed; running it directly")]
    private static partial void LogLeaseStartFailed(ILogger logger, long leaseId, Exception exception);
}
