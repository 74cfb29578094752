using OrleansRay.ControlStore;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>When the job table counts a connected driver as gone (<see cref="DriverSilence"/>): after 15 s without a
/// report, but never for a silence that was the head's own (a reviewer's head paused 20 s ended every connected
/// driver's job as it resumed, the drivers all healthy), nor from before the table started (a head restarted on
/// PostgreSQL has heard no driver yet).</summary>
public sealed class DriverSilenceTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 6, 20, 0, 0, TimeSpan.Zero);

    /// <summary>A table started at <see cref="Start"/> (monotonic 1,000,000 ms), awake every second until
    /// <paramref name="seconds"/> later; returns the monotonic time then.</summary>
    private static long RunFor(DriverSilence silence, int seconds, long from = 1_000_000, int fromSecond = 0)
    {
        for (var s = 1; s <= seconds; s++)
        {
            silence.NoteAwake(from + (s * 1000L), Start.AddSeconds(fromSecond + s));
        }

        return from + (seconds * 1000L);
    }

    [Fact]
    public void A_driver_silent_for_15_s_while_the_head_runs_is_lost()
    {
        var silence = new DriverSilence(1_000_000, Start);
        RunFor(silence, 30);
        var reported = Start.AddSeconds(10);

        Assert.False(silence.IsLost(reported, Start.AddSeconds(25)));
        Assert.True(silence.IsLost(reported, Start.AddSeconds(25.5)));
    }

    [Fact]
    public void The_heads_own_stall_does_not_count_as_the_drivers_silence()
    {
        var silence = new DriverSilence(1_000_000, Start);
        var now = RunFor(silence, 10);
        var reported = Start.AddSeconds(10); // the drivers' last reports before the head stopped

        // The head stands still 20 s (SIGSTOP), then runs again: the first thing it does is judge the drivers.
        var resumed = Start.AddSeconds(30);
        silence.NoteAwake(now + 20_000, resumed);
        Assert.False(silence.IsLost(reported, resumed));

        // They have 15 s from then to report; a driver that really is gone is lost after that.
        Assert.False(silence.IsLost(reported, resumed.AddSeconds(15)));
        Assert.True(silence.IsLost(reported, resumed.AddSeconds(15.5)));
    }

    [Fact]
    public void A_pause_shorter_than_the_stall_threshold_changes_nothing()
    {
        var silence = new DriverSilence(1_000_000, Start);
        var now = RunFor(silence, 20);
        silence.NoteAwake(now + 4_000, Start.AddSeconds(24)); // 4 s between notes: a busy head, not a stall

        Assert.True(silence.IsLost(Start.AddSeconds(5), Start.AddSeconds(24)));
    }

    [Fact]
    public void A_table_that_just_started_gives_every_driver_15_s()
    {
        // Reloaded from storage: the job started an hour ago, and no driver has reported to the new head yet.
        var silence = new DriverSilence(1_000_000, Start);
        var startedLongAgo = Start.AddHours(-1);

        Assert.False(silence.IsLost(startedLongAgo, Start.AddSeconds(14)));
        Assert.True(silence.IsLost(startedLongAgo, Start.AddSeconds(16)));
    }

    [Fact]
    public void A_submitted_jobs_driver_that_connects_long_after_the_submit_is_heard_from_its_connect()
    {
        // A reviewer's job waited 20 s (a build) before its driver connected: counted from the submit time, the table
        // marked it FAILED before the driver's first report reached the node table, and its tasks were cancelled.
        var silence = new DriverSilence(1_000_000, Start);
        RunFor(silence, 60);
        var submitted = Start.AddSeconds(10);
        var connected = Start.AddSeconds(40);
        silence.NoteAttached("driver-1", connected);

        var notYetSeen = silence.LastHeard("driver-1", seen: null, submitted);
        Assert.Equal(connected, notYetSeen);
        Assert.False(silence.IsLost(notYetSeen, connected.AddSeconds(1)));

        // Once it reports, its reports count; a driver that never reports is lost 15 s after it connected.
        Assert.Equal(connected.AddSeconds(5), silence.LastHeard("driver-1", connected.AddSeconds(5), submitted));
        Assert.True(silence.IsLost(notYetSeen, connected.AddSeconds(15.5)));

        // A driver this table never saw attach (the table restarted since) is judged from its job's start.
        Assert.Equal(submitted, silence.LastHeard("driver-2", seen: null, submitted));

        // Forgotten once its job ended.
        silence.Forget("driver-1");
        Assert.Equal(submitted, silence.LastHeard("driver-1", seen: null, submitted));
    }
}
