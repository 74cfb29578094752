using OrleansRay.Scheduling;
using Xunit;

namespace OrleansRay.Tests.Scheduling;

/// <summary>A node's count of its owners' tasks in flight (what "a driver's only task" means for run-here and held
/// work): a failed task is done too, a task sent elsewhere is not here, and other owners' tasks that run here do not
/// count at all.</summary>
public sealed class TaskCountersTests
{
    [Fact]
    public void Owned_tasks_in_flight_leave_out_other_owners_tasks_and_count_failures_as_done()
    {
        var counts = new TaskCounters();
        counts.RecordSubmitted();
        counts.RecordSubmitted();
        counts.RecordSubmitted();
        Assert.Equal(3, counts.OwnedInFlight);

        counts.RecordFinished(failed: true);
        Assert.Equal(2, counts.OwnedInFlight);

        counts.RecordSentElsewhere();
        Assert.Equal(1, counts.OwnedInFlight);

        // Another node's task that ran here: in the node's finished count, not in its owners' tasks in flight.
        counts.RecordFinished(failed: false, owned: false);
        Assert.Equal(1, counts.OwnedInFlight);
        Assert.Equal(1, counts.Finished);
        Assert.Equal(1, counts.Failed);

        counts.RecordFinished(failed: false);
        Assert.Equal(0, counts.OwnedInFlight);
    }
}
