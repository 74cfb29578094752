using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using OrleansRay.Silo.Cli;

namespace OrleansRay.Silo.Hosting;

/// <summary>Size-based rotation of a background node's log (<c>node-PORT.log</c> in its session's <c>logs</c> folder),
/// as Ray rotates its logs (<c>RAY_ROTATION_MAX_BYTES</c>, <c>RAY_ROTATION_BACKUP_COUNT</c>): once the log holds
/// <see cref="LogRotationSettings.MaxBytes"/> or more (checked every <see cref="CheckInterval"/>), it becomes
/// <c>node-PORT.log.1</c> (older parts move up to <c>.2</c> … <see cref="LogRotationSettings.BackupCount"/>, the oldest
/// is deleted) and the node goes on writing to a new <c>node-PORT.log</c>.</summary>
/// <remarks>
/// <para>A background node's standard output and error are its log (the launching <c>start</c> opens it for appending,
/// <see cref="NodeLauncher.Spawn(string, IReadOnlyList{string}, string, string?, string?, CliPaths)"/>), so what the
/// node, its tasks and the runtime itself write goes through file descriptors 1 and 2. Rotation points both at the new
/// file (<c>dup2</c>): no line is lost or split between the parts, and native writes (a crash report) land in the
/// current file. .NET's console writes through its own copies of those descriptors, so a rotating node first gives
/// <see cref="Console.Out"/> and <see cref="Console.Error"/> writers on descriptors 1 and 2 themselves.</para>
/// <para>A node in the foreground (<c>start --block</c>, a container's entrypoint) writes to whatever its caller gave
/// it and rotates nothing: the container runtime or the caller owns that output.</para>
/// </remarks>
internal sealed partial class NodeLogRotation : IDisposable
{
    /// <summary>Set by <see cref="NodeLauncher"/> on a background node: the file its standard output and error append
    /// to. The node removes it from its environment (its children write elsewhere).</summary>
    public const string LogFileVariable = "ORLEANSRAY_NODE_LOG_FILE";

    /// <summary>How often the log's size is looked at: it can grow past the limit by what a node writes in this time.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly string _path;
    private readonly IReadOnlyList<int> _descriptors;
    private readonly LogRotationSettings _settings;
    private readonly Timer? _timer;
    private readonly Lock _gate = new();
    private bool _warned;

    /// <summary>Rotation of <paramref name="path"/>, which <paramref name="descriptors"/> append to.</summary>
    /// <param name="path">The log file.</param>
    /// <param name="descriptors">The descriptors pointed at the new file on each rotation (1 and 2 for a node).</param>
    /// <param name="settings">When to rotate and how many parts to keep; <see cref="LogRotationSettings.MaxBytes"/> > 0.</param>
    /// <param name="checkTimer">Look at the size every <see cref="CheckInterval"/> (false: only <see cref="RotateIfDue"/>).</param>
    internal NodeLogRotation(string path, IReadOnlyList<int> descriptors, LogRotationSettings settings, bool checkTimer)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.MaxBytes);
        _path = path;
        _descriptors = descriptors;
        _settings = settings;
        _timer = checkTimer ? new Timer(_ => RotateIfDue(), null, CheckInterval, CheckInterval) : null;
    }

    /// <summary>Starts rotating this process's log when it is a background node's (<see cref="LogFileVariable"/> set)
    /// and <paramref name="settings"/> allow it; null otherwise.</summary>
    public static NodeLogRotation? Start(LogRotationSettings settings)
    {
        var path = Environment.GetEnvironmentVariable(LogFileVariable);
        Environment.SetEnvironmentVariable(LogFileVariable, null);
        if (string.IsNullOrEmpty(path) || settings.MaxBytes == 0 || !OperatingSystem.IsLinux())
        {
            return null;
        }

        // From here the console writes to descriptors 1 and 2 themselves, which rotation re-points.
        Console.SetOut(new StreamWriter(new DescriptorStream(1), new UTF8Encoding(false), 4096, leaveOpen: true) { AutoFlush = true });
        Console.SetError(new StreamWriter(new DescriptorStream(2), new UTF8Encoding(false), 4096, leaveOpen: true) { AutoFlush = true });
        return new NodeLogRotation(path, [1, 2], settings, checkTimer: true);
    }

    /// <summary>Rotates when the log holds <see cref="LogRotationSettings.MaxBytes"/> or more, or is gone (deleted or
    /// moved by someone else: the node starts a new one). Failures (a full or read-only disk) are written once to the
    /// log and tried again at the next check; the node keeps writing to the current file.</summary>
    /// <returns>True when it rotated.</returns>
    public bool RotateIfDue()
    {
        lock (_gate)
        {
            try
            {
                long length;
                try
                {
                    length = new FileInfo(_path).Length;
                }
                catch (FileNotFoundException)
                {
                    length = -1;
                }

                if (length >= 0 && length < _settings.MaxBytes)
                {
                    return false;
                }

                Rotate(length >= 0);
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                if (!_warned)
                {
                    _warned = true;
                    Write($"warning: could not rotate the log {_path}: {ex.Message}; it keeps growing until this is fixed (tried again every {CheckInterval.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s).");
                }

                return false;
            }
        }
    }

    private void Rotate(bool exists)
    {
        if (exists)
        {
            if (_settings.BackupCount == 0)
            {
                File.Delete(_path);
            }
            else
            {
                File.Delete(Part(_settings.BackupCount));
                for (var part = _settings.BackupCount - 1; part >= 1; part--)
                {
                    if (File.Exists(Part(part)))
                    {
                        File.Move(Part(part), Part(part + 1), overwrite: true);
                    }
                }

                File.Move(_path, Part(1), overwrite: true);
            }
        }

        // The writers' descriptors still point at the old file until dup2 below: whatever they write meanwhile lands
        // at the old file's end, and every write after it in the new file.
        var descriptor = Open(_path, OpenFlags, FileMode);
        if (descriptor < 0)
        {
            throw new IOException($"open failed with errno {Marshal.GetLastPInvokeError().ToString(CultureInfo.InvariantCulture)}");
        }

        try
        {
            foreach (var target in _descriptors)
            {
                if (Dup2(descriptor, target) < 0)
                {
                    throw new IOException($"dup2 failed with errno {Marshal.GetLastPInvokeError().ToString(CultureInfo.InvariantCulture)}");
                }
            }
        }
        finally
        {
            _ = Close(descriptor);
        }

        _warned = false;
        var previous = _settings.BackupCount == 0 ? "the previous part was deleted (backup count 0)" : $"the previous part is {Path.GetFileName(Part(1))}";
        Write($"{DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture)} info: log rotated at {_settings.MaxBytes.ToString(CultureInfo.InvariantCulture)} bytes; {previous}.");
    }

    private string Part(int number) => string.Create(CultureInfo.InvariantCulture, $"{_path}.{number}");

    /// <summary>One line straight to the first descriptor (not through the console: its lock may be held by the writer
    /// whose output made the log due).</summary>
    private void Write(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        DescriptorStream.WriteAll(_descriptors[0], bytes);
    }

    public void Dispose() => _timer?.Dispose();

    // O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC (Linux, every architecture .NET runs on): what the shell's `>>` opened.
    private const int OpenFlags = 0x1 | 0x40 | 0x400 | 0x80000;

    // rw-rw-rw- less the umask, as the shell creates the first part.
    private const int FileMode = 0x1B6;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static partial int Dup2(int descriptor, int target);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int descriptor);
}
