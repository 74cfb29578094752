using Microsoft.Extensions.Logging;

namespace OrleansRay.Silo.Dashboard;

internal sealed partial class DashboardApi
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "The dashboard cannot read the object store's statistics")]
    private partial void LogStoreStatsFailed(Exception exception);
}
