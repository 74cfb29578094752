using System.Globalization;
using OrleansRay;

namespace StateApi;

/// <summary>What <see cref="StateTour.RunAsync"/> saw.</summary>
/// <param name="Failed">Failed tasks of this run listed by <c>ListTasksAsync("state=FAILED")</c>.</param>
/// <param name="Finished">Finished squares counted by <c>SummarizeTasksAsync</c>.</param>
/// <param name="Objects">Objects <c>MemoryAsync</c> listed for this driver.</param>
/// <param name="TimelineSquares">Finished squares on <c>TimelineAsync</c>'s timeline.</param>
/// <param name="TimelineFile">The Chrome trace file the tour wrote (open it at chrome://tracing or ui.perfetto.dev).</param>
public sealed record TourResult(int Failed, long Finished, int Objects, int TimelineSquares, string TimelineFile);

/// <summary>The state API's tour: the work, then <c>ray.State</c>.</summary>
public static class StateTour
{
    public static int Square(int x) => x * x;

    /// <summary>Fails for inputs below zero, as real validation would.</summary>
    public static int CheckedSquare(int x) => x >= 0 ? x * x : throw new ArgumentOutOfRangeException(nameof(x), x, "must be >= 0");

    /// <summary>Runs 10 squares and 2 failing tasks on <paramref name="ray"/>, keeps one result, then prints what the
    /// state API says about them to <paramref name="output"/> and writes the squares' timeline to a file in the temp
    /// folder (<see cref="TourResult.TimelineFile"/>).</summary>
    public static async Task<TourResult> RunAsync(IRay ray, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(ray);
        ArgumentNullException.ThrowIfNull(output);
        var squares = Enumerable.Range(0, 10).Select(i => ray.Task(Square, i).Remote()).ToList();
        await ray.GetAsync(squares);
        foreach (var bad in new[] { -1, -2 })
        {
            try
            {
                await ray.Task(CheckedSquare, bad).Options(new TaskOptions { MaxRetries = 0 }).Remote();
            }
            catch (RayTaskException)
            {
                // Listed below, with its error.
            }
        }

        // ray list tasks --filter state=FAILED
        var failed = await ray.State.ListTasksAsync(StateListOptions.Where("state=FAILED", "name=StateTour.CheckedSquare"));
        foreach (var task in failed.Rows)
        {
            await output.WriteLineAsync($"FAILED {task.Name} on {task.Node}: {task.ErrorType}: {task.ErrorMessage}");
        }

        // ray summary tasks
        var summary = await ray.State.SummarizeTasksAsync();
        foreach (var row in summary.Rows)
        {
            await output.WriteLineAsync($"{row.Key,-30} {row.State,-10} {row.Count}");
        }

        // ray memory
        var memory = await ray.State.MemoryAsync(new StateListOptions { Limit = 10_000 });
        foreach (var o in memory.Objects)
        {
            var size = o.SizeBytes < 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" {o.SizeBytes} B");
            await output.WriteLineAsync($"{o.ObjectId} owner={o.Owner} {o.ReferenceType} {o.Location}{size}");
        }

        // ray timeline
        var timeline = await ray.State.TimelineAsync(StateListOptions.Where("name=StateTour.Square"));
        var file = Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"state-tour-timeline-{Environment.ProcessId}-{Guid.NewGuid():N}.json"));
        await using (var stream = File.Create(file))
        {
            await ChromeTrace.WriteAsync(timeline.Rows, stream);
        }

        await output.WriteLineAsync($"timeline: {timeline.Rows.Count} square(s) on {timeline.Rows.Select(e => (e.Node, e.Lane)).Distinct().Count()} lane(s), written to {file}");

        GC.KeepAlive(squares);
        return new TourResult(
            failed.Rows.Count,
            summary.Rows.Where(r => r.Key == "StateTour.Square" && r.State == "FINISHED").Sum(r => r.Count),
            memory.Objects.Count(o => squares.Any(s => s.Id.ToString() == o.ObjectId)),
            timeline.Rows.Count,
            file);
    }
}
