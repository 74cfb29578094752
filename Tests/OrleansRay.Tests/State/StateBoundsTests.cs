using OrleansRay.Execution;
using OrleansRay.Node;
using Xunit;

namespace OrleansRay.Tests.RayState;

/// <summary>Issue 15: the state API answers from bounded memory however many tasks a node ran.</summary>
public sealed class StateBoundsTests
{
    [Fact]
    public void A_node_that_finished_a_million_tasks_keeps_its_ring_bound_and_filters_it_before_sending()
    {
        const int Tasks = 1_000_000;
        var log = new TaskEventLog();
        var start = DateTimeOffset.UnixEpoch;
        for (var i = 0; i < Tasks; i++)
        {
            // Every 1,000th task failed; every other task ran on node "b" (owner records of work run elsewhere).
            var node = i % 2 == 0 ? "a" : "b";
            log.Record(new TaskEvent(TaskId.NewId(), i % 3 == 0 ? "Work.Even" : "Work.Odd", node, start.AddTicks(i), TimeSpan.FromMilliseconds(1),
                i % 1000 == 0 ? "System.InvalidOperationException: failed " + i : null));
        }

        Assert.Equal(Tasks, log.Recorded);
        Assert.Equal(TaskEventLog.DefaultCapacity, log.Count);

        // Node "a" lists only what it ran, from the 10,000 events its ring holds.
        var rows = NodeStateReport.FinishedTasks(log, "a").ToList();
        Assert.Equal(TaskEventLog.DefaultCapacity / 2, rows.Count);
        var failed = NodeStateReport.Tasks("a", rows, new StateQuery { Resource = StateResource.Tasks, Filters = [StateFilter.Parse("state=FAILED")], Limit = 100 });
        // The ring holds tasks 990,000..999,999: the failed ones are 990,000, 991,000, ..., 999,000 (all even: node "a").
        Assert.Equal(10, failed.Matched);
        Assert.Equal(
            Enumerable.Range(990, 10).Select(k => "failed " + (k * 1000)).Reverse(),
            failed.Tasks.Select(t => t.ErrorMessage));
        Assert.All(failed.Tasks, t => Assert.Equal("System.InvalidOperationException", t.ErrorType));

        var limited = NodeStateReport.Tasks("a", rows, new StateQuery { Resource = StateResource.Tasks, Filters = [StateFilter.Parse("name!=Work.Odd")], Limit = 100 });
        Assert.Equal(100, limited.Tasks.Length);
        Assert.True(limited.Matched > 100);
        Assert.All(limited.Tasks, t => Assert.Equal("Work.Even", t.Name));
    }
}
