using System.Collections.Concurrent;
using OrleansRay.Grains;

namespace OrleansRay.Placement;

/// <summary>What the job table says of drivers that own objects this runtime borrows: whether each one's job has ended
/// (<see cref="IJobTableGrain.HasEndedAsync"/>), asked at most once per <see cref="MaxAge"/> per driver however many
/// reads wait on it, and remembered once ended (a job does not start again).</summary>
internal sealed class DriverFates(IGrainFactory grains)
{
    /// <summary>How old an answer that the job runs may be before the table is asked again.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    /// <summary>Drivers remembered at most; past this the running ones are forgotten (asked again when needed).</summary>
    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<WorkerId, (long AskedAt, Task<bool> Ended)> _asked = new();

    /// <summary>True once the table listed <paramref name="driver"/>'s job ended.</summary>
    public bool IsKnownEnded(WorkerId driver) =>
        _asked.TryGetValue(driver, out var known) && known.Ended.IsCompletedSuccessfully && known.Ended.Result;

    /// <summary>Whether <paramref name="driver"/>'s job has ended, by the table's answer at most <see cref="MaxAge"/>
    /// old; false when the table cannot be asked (the read then goes on waiting for the owner, as before).</summary>
    public ValueTask<bool> HasEndedAsync(WorkerId driver)
    {
        var now = Environment.TickCount64;
        if (_asked.TryGetValue(driver, out var known)
            && ((known.Ended.IsCompletedSuccessfully && known.Ended.Result) || now - known.AskedAt < (long)MaxAge.TotalMilliseconds))
        {
            return new ValueTask<bool>(known.Ended);
        }

        if (_asked.Count >= MaxRemembered)
        {
            foreach (var (id, entry) in _asked)
            {
                if (!(entry.Ended.IsCompletedSuccessfully && entry.Ended.Result))
                {
                    _asked.TryRemove(id, out _);
                }
            }
        }

        var ask = AskAsync(driver);
        _asked[driver] = (now, ask);
        return new ValueTask<bool>(ask);
    }

    private async Task<bool> AskAsync(WorkerId driver)
    {
        try
        {
            return await grains.GetGrain<IJobTableGrain>(0).HasEndedAsync(driver.ToString()).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return false;
        }
    }
}
