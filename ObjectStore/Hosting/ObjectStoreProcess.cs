using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace OrleansRay.ObjectStore.Hosting;

/// <summary>An orleansray-store executable running as a child process of this one (one per node, started by <c>orleansray start</c>).</summary>
/// <remarks>
/// <see cref="DisposeAsync"/> stops it with SIGTERM (then SIGKILL after <see cref="ObjectStoreProcessOptions.StopTimeout"/>) and
/// removes what a killed store could leave behind (arena file, socket file, spill folder). The store also exits by itself when
/// this process dies (<see cref="ObjectStoreProcessOptions.ExitWithParent"/>).
/// </remarks>
public sealed partial class ObjectStoreProcess : IAsyncDisposable
{
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly ObjectStoreProcessOptions _options;
    private readonly string _spillDirectory;
    private readonly bool _ownsSpillDirectory;
    private readonly StringBuilder _stderr;
    private int _disposed;

    private ObjectStoreProcess(Process process, ObjectStoreProcessOptions options, StoreReadyLine ready, string spillDirectory, bool ownsSpillDirectory, StringBuilder stderr)
    {
        _process = process;
        _options = options;
        _spillDirectory = spillDirectory;
        _ownsSpillDirectory = ownsSpillDirectory;
        _stderr = stderr;
        ProcessId = ready.ProcessId;
        SocketPath = ready.SocketPath;
        ArenaPath = ready.ArenaPath;
        Capacity = ready.Capacity;
        var address = options.Store.TransferAddress;
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            address = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback; // reachable from this machine
        }

        TransferEndPoint = ready.TransferPort > 0 ? new IPEndPoint(address, ready.TransferPort) : null;
    }

    public int ProcessId { get; }

    public string SocketPath { get; }

    public string ArenaPath { get; }

    public long Capacity { get; }

    /// <summary>The store's peer-transfer endpoint, or null when disabled.</summary>
    public IPEndPoint? TransferEndPoint { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>What the store wrote to stderr so far (for diagnostics).</summary>
    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts the store and waits for its ready line.</summary>
    /// <exception cref="ObjectStoreException">The executable was not found, exited, or did not get ready in time (the message carries its stderr).</exception>
    public static async Task<ObjectStoreProcess> StartAsync(ObjectStoreProcessOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var store = options.Store;
        store.SocketPath ??= Path.Combine(Path.GetTempPath(), $"orleansray-store-{Guid.NewGuid():N}.sock");
        store.Validate();
        var ownsSpill = store.SpillDirectory is null;
        var spill = store.SpillDirectory ?? Path.Combine(Path.GetTempPath(), $"orleansray-spill-{Guid.NewGuid():N}");

        var start = CreateStartInfo(options.ExecutablePath ?? FindExecutable());
        AddArguments(start.ArgumentList, store, spill, options.ExitWithParent);
        if (store.Credentials is { } credentials)
        {
            start.Environment[Security.ClusterCredentials.TokenVariable] = credentials.Token;
        }
        else
        {
            start.Environment.Remove(Security.ClusterCredentials.TokenVariable);
        }

        var stderr = new StringBuilder();
        var ready = new TaskCompletionSource<StoreReadyLine>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && StoreReadyLine.TryParse(line) is { } parsed)
            {
                ready.TrySetResult(parsed);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (stderr)
                {
                    stderr.AppendLine(line);
                }

                options.StandardErrorLine?.Invoke(line);
            }
        };
        process.Exited += (_, _) => ready.TrySetException(new ObjectStoreException(
            $"orleansray-store exited with code {SafeExitCode(process)} before it was ready: {Snapshot(stderr)}"));

        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            throw new ObjectStoreException($"Could not start the object store '{start.FileName}': {ex.Message}", ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var line = await ready.Task.WaitAsync(options.StartTimeout, cancellationToken).ConfigureAwait(false);
            return new ObjectStoreProcess(process, options, line, spill, ownsSpill, stderr);
        }
        catch (Exception ex)
        {
            KillQuietly(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            process.Dispose();
            TryDelete(store.SocketPath);
            if (ownsSpill)
            {
                TryDeleteDirectory(spill);
            }

            if (ex is TimeoutException)
            {
                throw new ObjectStoreException($"orleansray-store did not get ready within {options.StartTimeout.TotalSeconds:0.#} s: {Snapshot(stderr)}", ex);
            }

            throw;
        }
    }

    /// <summary>Connects a client to this store.</summary>
    public Task<ObjectStoreClient> ConnectAsync(CancellationToken cancellationToken = default) =>
        ObjectStoreClient.ConnectAsync(SocketPath, cancellationToken);

    /// <summary>Kills the store at once with SIGKILL (what a crash looks like to its clients and peers).</summary>
    public void Kill() => KillQuietly(_process);

    /// <summary>Waits until the process has exited.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken = default) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>Stops the store (SIGTERM, then SIGKILL) and removes its files.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!_process.HasExited)
        {
            if (OperatingSystem.IsWindows() || SendSignal(_process.Id, SigTerm) != 0)
            {
                KillQuietly(_process);
            }

            try
            {
                await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(_options.StopTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                KillQuietly(_process);
                await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        _process.Dispose();

        // A store killed with SIGKILL leaves these behind; one stopped cleanly has removed them already.
        TryDelete(ArenaPath);
        TryDelete(SocketPath);
        if (_ownsSpillDirectory)
        {
            TryDeleteDirectory(_spillDirectory);
        }
    }

    private static ProcessStartInfo CreateStartInfo(string executable)
    {
        if (!File.Exists(executable))
        {
            throw new ObjectStoreException($"The object store executable '{executable}' does not exist. Set ObjectStoreProcessOptions.ExecutablePath.");
        }

        ProcessStartInfo start;
        if (executable.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)
                ? hostPath
                : "dotnet";
            start = new ProcessStartInfo(host);
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add(executable);
        }
        else
        {
            start = new ProcessStartInfo(executable);
        }

        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = false;
        return start;
    }

    private static void AddArguments(IList<string> args, ObjectStoreOptions store, string spill, bool exitWithParent)
    {
        void Add(string name, string value)
        {
            args.Add(name);
            args.Add(value);
        }

        Add("--socket", store.SocketPath!);
        Add("--size", store.Capacity.ToString(CultureInfo.InvariantCulture));
        Add("--spill-dir", spill);
        Add("--arena-dir", store.ArenaDirectory);
        Add("--transfer-port", store.TransferPort is { } port ? port.ToString(CultureInfo.InvariantCulture) : "-1");
        Add("--transfer-address", store.TransferAddress.ToString());
        Add("--create-timeout-ms", ((long)store.CreateTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        Add("--transfer-chunk-size", store.TransferChunkSize.ToString(CultureInfo.InvariantCulture));
        Add("--transfer-rate-limit", store.TransferRateLimit.ToString(CultureInfo.InvariantCulture));
        if (!store.Prefault)
        {
            args.Add("--no-prefault");
        }

        if (exitWithParent)
        {
            Add("--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static string FindExecutable()
    {
        var directory = Path.GetDirectoryName(typeof(ObjectStoreProcess).Assembly.Location) is { Length: > 0 } location ? location : AppContext.BaseDirectory;
        var apphost = Path.Combine(directory, OperatingSystem.IsWindows() ? "orleansray-store.exe" : "orleansray-store");
        return File.Exists(apphost) ? apphost : Path.Combine(directory, "orleansray-store.dll");
    }

    private static void KillQuietly(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited already.
        }
    }

    private static string SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode.ToString(CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    private static string Snapshot(StringBuilder stderr)
    {
        lock (stderr)
        {
            return stderr.Length == 0 ? "(no stderr)" : stderr.ToString().Trim();
        }
    }

    private static void TryDelete(string? path)
    {
        try
        {
            if (path is not null)
            {
                File.Delete(path);
            }
        }
        catch (IOException)
        {
            // Best effort: a leftover file only costs space.
        }
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never created, or removed by the store.
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
