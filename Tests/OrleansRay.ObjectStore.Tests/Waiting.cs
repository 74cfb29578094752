namespace OrleansRay.ObjectStore.Tests;

/// <summary>Waits on a condition with a deadline (never a fixed sleep).</summary>
internal static class Waiting
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for: {what}");
            }

            await Task.Delay(5); // polling interval, not a wait for an outcome
        }
    }
}
