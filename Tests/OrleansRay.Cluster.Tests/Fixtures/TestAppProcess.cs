using System.Diagnostics;
using System.Globalization;
using System.Text;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>The TestApp as a connected driver in its own process (<see cref="TestAppDriver.ConnectedDriver"/>), its
/// standard output and error kept together; killed with its process tree on dispose if it still runs.</summary>
public sealed class TestAppProcess : IDisposable
{
    private readonly StringBuilder _output = new();
    private readonly Process _process;

    /// <summary>Starts <paramref name="start"/> (a <see cref="TestAppDriver.ConnectedDriver"/> start, its environment
    /// adjusted by the test).</summary>
    public TestAppProcess(ProcessStartInfo start)
    {
        ArgumentNullException.ThrowIfNull(start);
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start the TestApp");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts the TestApp connected to <paramref name="cluster"/> with <paramref name="arguments"/>.</summary>
    public TestAppProcess(LocalCluster cluster, params string[] arguments)
        : this(TestAppDriver.ConnectedDriver(cluster, arguments))
    {
    }

    /// <summary>Everything it printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Its exit code (after <see cref="WaitForExitAsync"/>).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Its process, for signals.</summary>
    /// <exception cref="InvalidOperationException">It has exited.</exception>
    public ProcessTree.Identity Identity => ProcessTree.Identify(_process.Id, "TestApp driver") ?? throw new InvalidOperationException("the driver has exited:\n" + Output);

    /// <summary>Waits until it printed <paramref name="text"/>; fails when it exits first or the deadline passes.</summary>
    public async Task WaitForAsync(string text, TimeSpan deadline)
    {
        await Poll.UntilAsync(() => Task.FromResult(Output.Contains(text, StringComparison.Ordinal) || _process.HasExited), deadline, $"the driver to print \"{text}\"", () => Output);
        Assert.True(Output.Contains(text, StringComparison.Ordinal), $"the driver exited without printing \"{text}\":\n{Output}");
    }

    /// <summary>Waits until it exits and its last output is read.</summary>
    /// <exception cref="TimeoutException">It still runs after <paramref name="deadline"/> (its output in the message).</exception>
    public async Task WaitForExitAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the driver did not exit within {deadline.TotalSeconds:0} s:\n{Output}");
        }

        _process.WaitForExit(); // the last of its output is read
    }

    /// <summary>Kills it (kill -9 of its process tree) and waits until it is gone.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public override string ToString() => $"exit {(_process.HasExited ? _process.ExitCode.ToString(CultureInfo.InvariantCulture) : "none yet")}, output:\n{Output}";

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // It has exited meanwhile.
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Append(line).Append('\n');
            }
        }
    }
}
