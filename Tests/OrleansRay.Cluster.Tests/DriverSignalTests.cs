using System.Diagnostics;
using System.Runtime.InteropServices;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>A driver's process ends on Ctrl+C (SIGINT) and SIGTERM, connected or with an embedded node, as a Ray driver
/// ends on KeyboardInterrupt and on <c>ray job stop</c>'s SIGTERM. The hosting default took both signals for itself and
/// only stopped the runtime's host, so the driver's <c>Main</c> ran on, and <c>job stop</c> had to SIGKILL it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DriverSignalTests : IAsyncLifetime
{
    private const int SigInt = 2;
    private const int SigTerm = 15;
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(30);

    private readonly SharedCluster _shared;

    public DriverSignalTests(SharedCluster shared)
    {
        _shared = shared;
    }

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("wait", "connected", SigInt)]
    [InlineData("wait", "connected", SigTerm)]
    [InlineData("embedded-wait", "ready", SigInt)]
    [InlineData("embedded-wait", "ready", SigTerm)]
    public async Task A_driver_ends_on_ctrl_c_and_on_sigterm(string verb, string readyLine, int signal)
    {
        // Through coreutils' env, which gives SIGINT its default disposition back: a test run started in the background
        // (nohup, `cmd &` without job control) ignores SIGINT, the driver inherits that, and .NET keeps an ignored signal
        // ignored. A driver in a terminal has the default, which this reproduces.
        var start = new ProcessStartInfo("env")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet");
        start.ArgumentList.Add(TestAppDriver.Assembly);
        start.ArgumentList.Add(verb);
        start.Environment.Remove("ORLEANSRAY_ADDRESS");
        if (verb == "wait")
        {
            start.Environment["ORLEANSRAY_ADDRESS"] = _shared.Cluster.Address;
            start.Environment["ORLEANSRAY_AUTH_TOKEN"] = _shared.Cluster.AuthToken!;
        }

        start.Environment["DOTNET_DbgEnableMiniDump"] = "0";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the TestApp");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data == readyLine)
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(ReadyDeadline);

            Assert.Equal(0, Kill(process.Id, signal));

            using var exit = new CancellationTokenSource(ExitDeadline);
            var ended = await process.WaitForExitAsync(exit.Token).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
            Assert.True(ended, $"the driver ({verb}) still ran {ExitDeadline.TotalSeconds} s after signal {signal}. Output:\n{Snapshot(output)}");
            // Ended by the signal, as .NET's default handling does: 128 + the signal's number.
            Assert.True(process.ExitCode == 128 + signal, $"exit code {process.ExitCode}. Output:\n{Snapshot(output)}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }

    private static string Snapshot(System.Text.StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
