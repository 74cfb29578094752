using System.Diagnostics;
using System.Text;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>A process a test started inside a network namespace, as a container's main process: in its own UTS
/// namespace with its own host name (a container's; the driver's store attach is per machine and so sees other
/// namespaces as other machines), with exactly the environment given (nothing inherited from the test).</summary>
/// <remarks>Started as <c>ip netns exec NS unshare --uts -- bash -c 'hostname H &amp;&amp; exec "$@"'</c>: every step execs, so
/// the pid is the program's. Its output is kept (and written to <c>LOG</c>) for assertions and failure messages.</remarks>
public sealed class NetnsProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StreamWriter _log;
    private readonly List<(string Text, TaskCompletionSource Seen)> _waits = [];

    private NetnsProcess(string name, Process process, string logFile)
    {
        Name = name;
        _process = process;
        _log = new StreamWriter(logFile, append: false) { AutoFlush = true };
        LogFile = logFile;
    }

    public string Name { get; }

    public string LogFile { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything it printed so far (stdout and stderr, interleaved as read).</summary>
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

    public string Tail(int lines = 40) => string.Join('\n', Output.Split('\n').TakeLast(lines));

    public static NetnsProcess Start(string name, string ns, string hostName, string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string logFile)
    {
        var start = new ProcessStartInfo("ip")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in (string[])["netns", "exec", ns, "unshare", "--uts", "--", "bash", "-c", "hostname \"$0\" && exec \"$@\"", hostName, program, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {name}");
        var started = new NetnsProcess(name, process, logFile);
        process.StandardInput.Close();
        process.OutputDataReceived += (_, e) => started.Line(e.Data);
        process.ErrorDataReceived += (_, e) => started.Line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Completes when a line containing <paramref name="text"/> was printed (already or later).</summary>
    public Task WhenPrintedAsync(string text)
    {
        lock (_output)
        {
            if (_output.ToString().Contains(text, StringComparison.Ordinal))
            {
                return Task.CompletedTask;
            }

            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waits.Add((text, seen));
            return seen.Task;
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not exit within {deadline}. Output:\n{Tail(60)}");
        }

        return _process.ExitCode;
    }

    private void Line(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }

            foreach (var wait in _waits.Where(w => line.Contains(w.Text, StringComparison.Ordinal)).ToList())
            {
                wait.Seen.TrySetResult();
                _waits.Remove(wait);
            }
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        lock (_output)
        {
            _log.Dispose();
        }

        _process.Dispose();
    }
}
