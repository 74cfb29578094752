using System.Globalization;
using OrleansRay.Diagnostics;
using Xunit;

namespace OrleansRay.Dashboard.Tests;

/// <summary>The head keeps finished-task events in bounded memory however many tasks run.</summary>
public sealed class TaskEventLogTests
{
    [Fact]
    public void After_100000_finished_tasks_the_log_holds_its_capacity_and_stays_under_4_MB()
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var log = new TaskEventLog();
        var start = DateTimeOffset.UnixEpoch;

        for (var i = 0; i < 100_000; i++)
        {
            var id = i.ToString("x24", CultureInfo.InvariantCulture);
            log.Record(new TaskEvent(id, "Tests.Square", "127.0.0.1:11111@1", start.AddMilliseconds(i), TimeSpan.FromMilliseconds(1), i % 10 == 0 ? "InvalidOperationException: task " + id + " failed" : null));
        }

        var retained = GC.GetTotalMemory(forceFullCollection: true) - before;
        Assert.Equal(TaskEventLog.DefaultCapacity, log.Count);
        Assert.Equal(100_000, log.Recorded);
        // 10,000 events of ~250 bytes (record, id string, error string on 1 in 10) plus the ring: ~2.5 MB.
        Assert.True(retained < 4L << 20, $"the log retains {retained.ToString(CultureInfo.InvariantCulture)} bytes");
        var latest = log.Latest(3);
        Assert.Equal(["00000000000000000001869f", "00000000000000000001869e", "00000000000000000001869d"], latest.Select(e => e.TaskId));
        GC.KeepAlive(log);
    }

    [Fact]
    public void Latest_returns_newest_first_and_at_most_what_was_recorded()
    {
        var log = new TaskEventLog(capacity: 3);
        Assert.Empty(log.Latest(10));

        for (var i = 1; i <= 5; i++)
        {
            log.Record(new TaskEvent(i.ToString(CultureInfo.InvariantCulture), "f", "n", DateTimeOffset.UnixEpoch, TimeSpan.Zero, null));
        }

        Assert.Equal(["5", "4", "3"], log.Latest(10).Select(e => e.TaskId));
        Assert.Equal(["5"], log.Latest(1).Select(e => e.TaskId));
    }
}
