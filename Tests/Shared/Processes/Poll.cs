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

    /// <summary>Waits for an asynchronous condition (a command, a cluster query); each check runs to its end before the
    /// next starts, <paramref name="interval"/> (default 100 ms) after the previous one ended. <paramref name="describe"/>
    /// says what was last seen when the deadline passes.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string what, Func<string>? describe = null, TimeSpan? interval = null)
    {
        var end = DateTime.UtcNow + deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > end)
            {
                throw new TimeoutException($"Waited {deadline} for {what}.{(describe is null ? string.Empty : " Last seen: " + describe())}");
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(100));
        }
    }
}
