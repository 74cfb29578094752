using Microsoft.Extensions.Logging.Abstractions;
using OrleansRay.Actors;
using OrleansRay.Execution;
using OrleansRay.Node;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Tests.TaskOutput;

/// <summary>Ray's <c>log_to_driver</c> on a node, without a cluster: the console writer (<see cref="TaskOutputCapture"/>)
/// writes everything through and hands whole lines of a connected driver's job to its forwarder, keeping each task's
/// partial line apart; the forwarder batches them per driver, bounds what it holds and reports what it dropped; the
/// driver prints them with where they ran (<see cref="TaskOutputPrinter"/>).</summary>
public sealed class TaskOutputTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly WorkerId _self = WorkerId.NewId();
    private readonly WorkerId _driver = WorkerId.NewId();
    private readonly List<TaskOutputBatch> _batches = [];
    private readonly StringWriter _nodeOutput = new();

    private TaskOutputForwarder NewForwarder(Func<TaskOutputBatch, Task>? send = null) =>
        new(_self, _ => Task.FromResult<Func<TaskOutputBatch, Task>?>(send ?? Receive), () => "10.0.0.3", NullLogger.Instance, TimeProvider.System);

    private Task Receive(TaskOutputBatch batch)
    {
        lock (_batches)
        {
            _batches.Add(batch);
        }

        return Task.CompletedTask;
    }

    private List<TaskOutputLine> Received
    {
        get
        {
            lock (_batches)
            {
                return _batches.SelectMany(b => b.Lines).ToList();
            }
        }
    }

    private TaskContext Context(string name, WorkerId? driver = null) =>
        new(new object(), name, CancellationToken.None, slot: null) { Job = JobScope.For(driver ?? _driver, null) };

    /// <summary>Runs <paramref name="write"/> as code of <paramref name="context"/> (null: outside any task).</summary>
    private static void As(TaskContext? context, Action write)
    {
        var saved = TaskContext.Saved;
        TaskContext.Restore(context);
        try
        {
            write();
        }
        finally
        {
            TaskContext.Restore(saved);
        }
    }

    /// <summary>A forwarder whose driver takes no batch until <c>release</c> is set; <c>sending</c> is set when the first
    /// batch is on its way.</summary>
    private (TaskOutputForwarder Forwarder, TaskCompletionSource Sending, TaskCompletionSource Release) SlowDriverForwarder()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var forwarder = NewForwarder(async batch =>
        {
            sending.TrySetResult();
            await release.Task; // the driver does not keep up until released
            await Receive(batch);
        });
        return (forwarder, sending, release);
    }

    private Task WaitForLinesAsync(int count) =>
        Poll.UntilAsync(() => Task.FromResult(Received.Count >= count), Deadline, $"{count} line(s) to reach the driver", () => $"{Received.Count} line(s)");

    [Fact]
    public async Task A_tasks_lines_reach_its_driver_whole_once_their_line_break_is_written_and_all_of_it_reaches_the_node_output()
    {
        var forwarder = NewForwarder();
        var output = new TaskOutputCapture(_nodeOutput, isError: false, _ => forwarder);
        var error = new TaskOutputCapture(_nodeOutput, isError: true, _ => forwarder);
        var square = Context("Square");

        As(square, () =>
        {
            output.Write("hel");
            output.Write('l');
            output.Write("o\r\nwor");
            output.WriteLine("ld".AsSpan());
            error.WriteLine("oops");
            output.WriteLine();
            output.Write("no line break yet");
        });

        await WaitForLinesAsync(4);
        Assert.Equal(
            new TaskOutputLine[] { new("Square", false, "hello"), new("Square", false, "world"), new("Square", true, "oops"), new("Square", false, "") },
            Received);
        Assert.Equal($"hello\r\nworld{Environment.NewLine}oops{Environment.NewLine}{Environment.NewLine}no line break yet", _nodeOutput.ToString());
        lock (_batches)
        {
            Assert.All(_batches, b => Assert.Equal((Environment.ProcessId, "10.0.0.3"), (b.Pid, b.Ip)));
        }
    }

    [Fact]
    public async Task Partial_lines_of_two_tasks_writing_by_turns_do_not_mix()
    {
        var forwarder = NewForwarder();
        var output = new TaskOutputCapture(_nodeOutput, isError: false, _ => forwarder);
        var (a, b) = (Context("A"), Context("B"));

        As(a, () => output.Write("a1 "));
        As(b, () => output.Write("b1 "));
        As(a, () => output.Write("a2\n"));
        As(b, () => output.Write("b2\n"));

        await WaitForLinesAsync(2);
        Assert.Equal(new TaskOutputLine[] { new("A", false, "a1 a2"), new("B", false, "b1 b2") }, Received);
    }

    [Fact]
    public async Task Lines_outside_a_task_of_an_actor_of_no_job_or_of_the_nodes_own_driver_stay_on_the_node()
    {
        var forwarder = NewForwarder();
        var output = new TaskOutputCapture(_nodeOutput, isError: false, _ => forwarder);

        As(null, () => output.WriteLine("outside"));
        As(new TaskContext(new object(), "Detached.Run", CancellationToken.None, slot: null), () => output.WriteLine("detached"));
        As(Context("Local", _self), () => output.WriteLine("own driver"));
        As(Context("Marker"), () => output.WriteLine("marker"));

        // The marker came after the others on one queue: once it is there, they would have been too.
        await WaitForLinesAsync(1);
        Assert.Equal(new TaskOutputLine[] { new("Marker", false, "marker") }, Received);
        Assert.Contains("outside", _nodeOutput.ToString(), StringComparison.Ordinal);
        Assert.Contains("detached", _nodeOutput.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_actors_lines_are_named_by_its_class_as_in_Ray()
    {
        var forwarder = NewForwarder();
        var output = new TaskOutputCapture(_nodeOutput, isError: false, _ => forwarder);
        var call = Context("CounterCalls.Increment");
        call.Submitter = new ActorCaller(WorkerId.NewId()) { ActorClass = ActorInstance.ShortName("My.App.Outer+Counter`1[[System.Int32]]") };

        As(call, () => output.WriteLine("counted"));

        await WaitForLinesAsync(1);
        Assert.Equal(new TaskOutputLine[] { new("Counter", false, "counted") }, Received);
    }

    [Fact]
    public async Task Beyond_the_bound_lines_are_dropped_counted_and_the_driver_is_told_how_many()
    {
        var (forwarder, sending, release) = SlowDriverForwarder();

        forwarder.Add(_driver, "Chatty", isError: false, "first");
        await sending.Task.WaitAsync(Deadline); // one batch in flight: the queue fills behind it
        const int extra = 7;
        for (var i = 0; i < DriverOutputQueue.MaxQueuedLines + extra; i++)
        {
            forwarder.Add(_driver, "Chatty", isError: false, "line " + i);
        }

        release.SetResult();
        await WaitForLinesAsync(1 + DriverOutputQueue.MaxQueuedLines);
        await Poll.UntilAsync(() => Task.FromResult(DroppedReported() == extra), Deadline, $"the driver to be told {extra} lines were dropped", () => $"told {DroppedReported()}");
        var lines = Received;
        Assert.Equal(1 + DriverOutputQueue.MaxQueuedLines, lines.Count);
        Assert.Equal("line 0", lines[1].Text);
        Assert.Equal("line " + (DriverOutputQueue.MaxQueuedLines - 1), lines[^1].Text);
        lock (_batches)
        {
            Assert.All(_batches, b => Assert.InRange(b.Lines.Length, 0, DriverOutputQueue.MaxBatchLines));
        }
    }

    [Fact]
    public async Task Draining_waits_for_the_lines_held_when_it_began_and_counts_those_left_at_its_deadline()
    {
        var (forwarder, sending, release) = SlowDriverForwarder();

        Assert.Equal(0, await forwarder.DrainAsync(_driver, Deadline)); // nothing held: at once
        forwarder.Add(_driver, "Chatty", isError: false, "first");
        await sending.Task.WaitAsync(Deadline); // one batch in flight, the rest queued behind it
        const int queued = 2_500;
        for (var i = 0; i < queued; i++)
        {
            forwarder.Add(_driver, "Chatty", isError: false, "line " + i);
        }

        // A look (zero deadline) says what is held, the batch on its way included; a driver that does not take them
        // within the deadline is told how many are still held.
        Assert.Equal(1 + queued, await forwarder.DrainAsync(_driver, TimeSpan.Zero));
        Assert.Equal(1 + queued, await forwarder.DrainAsync(_driver, TimeSpan.FromMilliseconds(50)));

        var drain = forwarder.DrainAsync(_driver, Deadline);
        Assert.False(drain.IsCompleted);
        forwarder.Add(_driver, "Chatty", isError: false, "written after the drain began"); // not waited for
        release.SetResult();
        Assert.Equal(0, await drain.WaitAsync(Deadline));
        Assert.True(Received.Count >= 1 + queued, $"{Received.Count} lines"); // drained means sent: every line held then is at the driver
        await WaitForLinesAsync(2 + queued);
        Assert.Equal(0, await forwarder.DrainAsync(WorkerId.NewId(), Deadline)); // a driver this node holds nothing for
    }

    private int DroppedReported()
    {
        lock (_batches)
        {
            return _batches.Sum(b => b.Dropped);
        }
    }

    [Fact]
    public void The_driver_prints_each_line_with_where_it_ran_on_its_stream_and_how_many_were_dropped()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var batch = new TaskOutputBatch(4242, "10.0.0.3", [new("Square", false, "hello"), new("Square", true, "oops"), new("Counter", false, "counted")], Dropped: 3);

        TaskOutputPrinter.Print(batch, output, error);

        var nl = Environment.NewLine;
        Assert.Equal($"(Square pid=4242, ip=10.0.0.3) hello{nl}(Counter pid=4242, ip=10.0.0.3) counted{nl}", output.ToString());
        Assert.Equal(
            $"(Square pid=4242, ip=10.0.0.3) oops{nl}[orleansray] 3 lines of task output were dropped: its tasks printed faster than the driver received them, beyond what a node holds for a driver (node pid=4242, ip=10.0.0.3){nl}",
            error.ToString());
    }

    [Fact]
    public void A_node_id_names_its_ip()
    {
        Assert.Equal("10.0.0.3", TaskOutputForwarder.IpOf(new NodeId("10.0.0.3:11111@123456")));
        Assert.Equal("driver:x", TaskOutputForwarder.IpOf(new NodeId("driver:x")));
    }
}
