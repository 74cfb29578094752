namespace OrleansRay.Tests.Processes;

/// <summary>Waits for a condition with a deadline, checking every 100 ms.</summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan deadline, string what)
    {
        var end = DateTime.UtcNow + deadline;
        while (!condition())
        {
            if (DateTime.UtcNow > end)
            {
                throw new TimeoutException($"Waited {deadline} for {what}.");
            }

            await Task.Delay(100);
        }
    }
}
