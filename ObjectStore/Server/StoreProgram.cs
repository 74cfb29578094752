using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using OrleansRay.ObjectStore.Hosting;
using OrleansRay.ObjectStore.Security;

namespace OrleansRay.ObjectStore.Server;

/// <summary>Parses the command line, hosts an <see cref="EmbeddedObjectStore"/> and waits for a reason to stop.</summary>
/// <remarks>With <c>ORLEANSRAY_AUTH_TOKEN</c> set, peer transfers (served and pulled) are TLS 1.3 with the cluster's
/// credentials; refused peers are written to stderr.</remarks>
internal static class StoreProgram
{
    // How often the parent's liveness is checked: a store outliving its node by a second is harmless.
    private static readonly TimeSpan ParentPollInterval = TimeSpan.FromMilliseconds(500);

    public static async Task<int> RunAsync(string[] args)
    {
        ObjectStoreOptions options;
        int? parentPid;
        ClusterCredentials? credentials;
        try
        {
            (options, parentPid) = Parse(args);
            options.Validate();
            // From the environment only: a command line is visible to every user through `ps`.
            credentials = ClusterCredentials.FromEnvironment();
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
        {
            await Console.Error.WriteLineAsync($"orleansray-store: {ex.Message}").ConfigureAwait(false);
            return 2;
        }

        using var ownedCredentials = credentials;
        options.Credentials = credentials;
        options.PeerRefused = line => Console.Error.WriteLine($"orleansray-store: {line}");
        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

        EmbeddedObjectStore store;
        try
        {
            store = await EmbeddedObjectStore.StartAsync(options).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"orleansray-store: could not start: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        await using (store.ConfigureAwait(false))
        {
            var ready = new StoreReadyLine(Environment.ProcessId, store.SocketPath!, store.TransferEndPoint?.Port ?? 0, store.Capacity, store.ArenaPath);
            Console.Out.WriteLine(ready.Format());
            Console.Out.Flush();

            try
            {
                if (parentPid is { } pid)
                {
                    await WatchParentAsync(pid, stop.Token).ConfigureAwait(false);
                    await Console.Error.WriteLineAsync($"orleansray-store: parent process {pid} exited; stopping.").ConfigureAwait(false);
                }
                else
                {
                    await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // SIGTERM or SIGINT: a normal stop.
            }
        }

        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // we exit ourselves, after cleaning up the arena file
            stop.Cancel();
        }
    }

    private static async Task WatchParentAsync(int pid, CancellationToken cancellationToken)
    {
        var startTime = StartTimeOf(pid);
        while (true)
        {
            var current = StartTimeOf(pid);

            // Gone, or the pid now belongs to another process.
            if (current is null || (startTime is not null && current != startTime))
            {
                return;
            }

            await Task.Delay(ParentPollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static DateTime? StartTimeOf(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : process.StartTime;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static (ObjectStoreOptions Options, int? ParentPid) Parse(string[] args)
    {
        var options = new ObjectStoreOptions();
        int? parentPid = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--socket":
                    options.SocketPath = Value();
                    break;
                case "--size":
                    options.Capacity = ParseSize(Value());
                    break;
                case "--spill-dir":
                    options.SpillDirectory = Value();
                    break;
                case "--arena-dir":
                    options.ArenaDirectory = Value();
                    break;
                case "--transfer-port":
                    var port = int.Parse(Value(), CultureInfo.InvariantCulture);
                    options.TransferPort = port < 0 ? null : port;
                    break;
                case "--transfer-address":
                    options.TransferAddress = IPAddress.Parse(Value());
                    break;
                case "--parent-pid":
                    parentPid = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--create-timeout-ms":
                    options.CreateTimeout = TimeSpan.FromMilliseconds(long.Parse(Value(), CultureInfo.InvariantCulture));
                    break;
                case "--transfer-chunk-size":
                    options.TransferChunkSize = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--transfer-rate-limit":
                    options.TransferRateLimit = long.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--no-prefault":
                    options.Prefault = false;
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }

        if (options.SocketPath is null)
        {
            throw new ArgumentException("--socket PATH is required.");
        }

        return (options, parentPid);
    }

    /// <summary>Bytes, with an optional K, M or G suffix (powers of 1024).</summary>
    private static long ParseSize(string text)
    {
        var multiplier = char.ToUpperInvariant(text[^1]) switch
        {
            'K' => 1L << 10,
            'M' => 1L << 20,
            'G' => 1L << 30,
            _ => 1L,
        };
        var digits = multiplier == 1 ? text : text[..^1];
        return checked(long.Parse(digits, CultureInfo.InvariantCulture) * multiplier);
    }
}
