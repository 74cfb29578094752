using System.Globalization;
using Xunit;
using OrleansRay.Execution;

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
            var id = new TaskId(7, (ulong)i + 1);
            log.Record(new TaskEvent(id, "Tests.Square", "127.0.0.1:11111@1", start.AddMilliseconds(i), TimeSpan.FromMilliseconds(1), i % 10 == 0 ? "InvalidOperationException: task " + id + " failed" : null));
        }

        var retained = GC.GetTotalMemory(forceFullCollection: true) - before;
        Assert.Equal(TaskEventLog.DefaultCapacity, log.Count);
        Assert.Equal(100_000, log.Recorded);
        // 10,000 events of ~150 bytes (record, error string on 1 in 10) plus the ring: ~1.5 MB.
        Assert.True(retained < 4L << 20, $"the log retains {retained.ToString(CultureInfo.InvariantCulture)} bytes");
        var latest = log.Latest(3);
        Assert.Equal([new TaskId(7, 100_000), new TaskId(7, 99_999), new TaskId(7, 99_998)], latest.Select(e => e.TaskId));
        GC.KeepAlive(log);
    }

    [Fact]
    public void Latest_returns_newest_first_and_at_most_what_was_recorded()
    {
        var log = new TaskEventLog(capacity: 3);
        Assert.Empty(log.Latest(10));

        for (var i = 1; i <= 5; i++)
        {
            log.Record(new TaskEvent(new TaskId(1, (ulong)i), "f", "n", DateTimeOffset.UnixEpoch, TimeSpan.Zero, null));
        }

        Assert.Equal([new TaskId(1, 5), new TaskId(1, 4), new TaskId(1, 3)], log.Latest(10).Select(e => e.TaskId));
        Assert.Equal([new TaskId(1, 5)], log.Latest(1).Select(e => e.TaskId));
    }
}
