using Microsoft.Extensions.Logging;
using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>A placement group's tie to the job that created it (Ray's placement group lifetime): a group that is not
/// detached is removed when its job ends, as <see cref="IPlacementGroupGrain.RemoveAsync"/> removes it. This asks the job
/// table, at most every <see cref="CheckPeriod"/>, whether the group's job ended.</summary>
/// <remarks>
/// <para>The job table knows a job ended when its driver disposes its IRay, crashes (its crash handler), is stopped
/// (<c>job stop</c>), or, for a connected driver, stops reporting for 15 s (a killed process); an embedded or hosted
/// driver ends its job when its node stops. A group that names no job (<see cref="PlacementGroupSpec.Job"/> null: a row
/// stored before groups had jobs) or is <see cref="PlacementGroupSpec.Detached"/> is never removed here.</para>
/// <para>Owned by one <see cref="PlacementGroupGrain"/> activation and called from its timer, on its scheduler. A job
/// table that cannot be reached answers "not ended": the next check asks again.</para>
/// </remarks>
internal sealed partial class PlacementGroupJob
{
    /// <summary>How often the job table is asked at most: a second after a driver's clean end its groups are gone, for
    /// one small call to the job table per group and second.</summary>
    public static readonly TimeSpan CheckPeriod = TimeSpan.FromSeconds(1);

    private readonly Guid _group;
    private readonly ILogger _logger;
    private long? _lastCheck;

    /// <param name="group">The placement group's id.</param>
    /// <param name="logger">The grain's logger, so these events keep its category.</param>
    public PlacementGroupJob(Guid group, ILogger logger)
    {
        _group = group;
        _logger = logger;
    }

    /// <summary>True when <paramref name="spec"/>'s group ends with its job and the job table says that job ended; false
    /// otherwise, and between checks (see <see cref="CheckPeriod"/>). Never throws.</summary>
    public async Task<bool> EndedAsync(IGrainFactory grains, PlacementGroupSpec spec)
    {
        var now = Environment.TickCount64;
        if (!spec.EndsWithJob || now - _lastCheck < (long)CheckPeriod.TotalMilliseconds)
        {
            return false;
        }

        _lastCheck = now;
        try
        {
            if (!await grains.GetGrain<IJobTableGrain>(0).HasEndedAsync(spec.Job!))
            {
                return false;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogCheckFailed(_logger, _group, ex.GetType().Name, ex.Message);
            return false;
        }

        LogJobEnded(_logger, _group, spec.Job!);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Placement group {Id:N}: the job of driver {Driver}, which created it, ended; removing the group (it is not detached)")]
    private static partial void LogJobEnded(ILogger logger, Guid id, string driver);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Placement group {Id:N}: asking the job table whether its job ended failed ({ErrorType}: {Reason}); asking again later")]
    private static partial void LogCheckFailed(ILogger logger, Guid id, string errorType, string reason);
}
