using System.Diagnostics;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>Waits on a condition with a deadline instead of sleeping a fixed time.</summary>
internal static class Conditions
{
    /// <summary>Polls <paramref name="condition"/> every 10 ms until it holds; fails the test, naming
    /// <paramref name="what"/>, if it does not hold within <paramref name="deadline"/>.</summary>
    public static async Task WaitForAsync(Func<bool> condition, TimeSpan deadline, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < deadline, $"not within {deadline.TotalSeconds:F0} s: {what}");
            await Task.Delay(10);
        }
    }
}
