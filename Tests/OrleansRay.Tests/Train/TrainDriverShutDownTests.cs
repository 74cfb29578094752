using OrleansRay.Train;
using Xunit;

namespace OrleansRay.Tests.Training;

/// <summary>A fit whose own driver shuts down under it: its own node of its own, disposed while the loops run.</summary>
public sealed class TrainDriverShutDownTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Disposing_the_driver_while_the_loops_run_ends_the_fit_saying_the_node_shut_down_not_blaming_a_rank()
    {
        using var storage = new TempStorage();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = $"driver-shut-down-{Guid.NewGuid():N}";
        var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, Namespace = "train-driver-shut-down" });
        Task<TrainResult> fit;
        try
        {
            var trainer = new DataParallelTrainer<string>(TrainLoops.WaitAtGate, gate, new ScalingConfig { NumWorkers = 2 },
                new RunConfig
                {
                    StoragePath = storage.Path,
                    Name = "run",
                    Verbose = false,
                    Progress = new CallbackProgress(p =>
                    {
                        if (p.Kind == TrainProgressKind.WorkersStarted)
                        {
                            started.TrySetResult();
                        }
                    }),
                });
            fit = trainer.FitAsync(ray);
            await started.Task.WaitAsync(Deadline);
        }
        finally
        {
            // The loops wait at their gate (never opened): the driver's disposal is what ends them.
            await ray.DisposeAsync();
        }

        var error = await Assert.ThrowsAsync<ObjectDisposedException>(() => fit.WaitAsync(Deadline));
        Assert.Equal("The OrleansRay node has shut down.", error.Message);
    }

    /// <summary>Reports on the reporting thread (no synchronization context to post to).</summary>
    private sealed class CallbackProgress(Action<TrainProgress> report) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => report(value);
    }
}
