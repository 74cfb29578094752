using System.Globalization;

namespace OrleansRay.Silo.Cli;

/// <summary>Where this machine's nodes keep their files: the address file, one pid file per node, session folders with logs.</summary>
/// <remarks>Default root: <c>/tmp/orleansray</c> (like Ray's <c>/tmp/ray</c>); <c>ORLEANSRAY_TEMP_DIR</c> moves it (tests, several users).</remarks>
internal sealed class CliPaths
{
    /// <summary>Environment variable that replaces the root folder.</summary>
    public const string TempDirVariable = "ORLEANSRAY_TEMP_DIR";

    public CliPaths(string root)
    {
        Root = Path.GetFullPath(root);
    }

    /// <summary>The paths for this process: <c>$ORLEANSRAY_TEMP_DIR</c>, else <c>/tmp/orleansray</c>.</summary>
    public static CliPaths Current =>
        new(Environment.GetEnvironmentVariable(TempDirVariable) is { Length: > 0 } root ? root : Path.Combine(Path.GetTempPath(), "orleansray"));

    public string Root { get; }

    /// <summary>Holds "host:port" of the cluster started last on this machine (Ray: /tmp/ray/ray_current_cluster).</summary>
    public string AddressFile => Path.Combine(Root, "orleansray_current_cluster");

    /// <summary>Holds the auth token of the cluster whose head started last on this machine (mode 0600, this user's only):
    /// how nodes and drivers on the head's machine find it without being told. The head's session folder has a copy.</summary>
    public string TokenFile => Path.Combine(Root, "orleansray_auth_token");

    /// <summary>The token in <see cref="TokenFile"/>, or null when there is none (or it cannot be read).</summary>
    public string? ReadToken()
    {
        try
        {
            var text = File.ReadAllText(TokenFile).Trim();
            return text.Length > 0 ? text : null;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> atomically, readable and writable by this user
    /// only (0600) from the first byte.</summary>
    public static void WriteSecret(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>One pid file per running node, <c>node-&lt;port&gt;.json</c>.</summary>
    public string NodesDirectory => Path.Combine(Root, "nodes");

    /// <summary>A symbolic link to the newest session folder.</summary>
    public string LatestSession => Path.Combine(Root, "session_latest");

    /// <summary>One file per job submitted from this machine, <c>&lt;id&gt;.json</c> (<see cref="JobRecord"/>).</summary>
    public string JobsDirectory => Path.Combine(Root, "jobs");

    public string JobFile(string jobId) => Path.Combine(JobsDirectory, jobId + ".json");

    public IEnumerable<string> JobFiles() =>
        Directory.Exists(JobsDirectory) ? Directory.EnumerateFiles(JobsDirectory, "*.json") : [];

    /// <summary>The newest session folder (where <see cref="LatestSession"/> points), or null when there is none.</summary>
    public string? CurrentSession()
    {
        try
        {
            var target = new DirectoryInfo(LatestSession).ResolveLinkTarget(returnFinalTarget: true);
            return target is { Exists: true } ? target.FullName : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The node started on this machine (under this root) whose client address is <paramref name="address"/> and
    /// that still runs, with its session folder there: a head before a worker, the newest first; null when none is.</summary>
    /// <remarks>Its <see cref="NodeRecord.Session"/> is where that node logs. <see cref="LatestSession"/> is only the
    /// session of whichever node started last, another head's or a worker's when several run here.</remarks>
    /// <param name="address">A client address "host:port", e.g. the address file's; <c>localhost</c> and a loopback IP
    /// name the same node.</param>
    public NodeRecord? RunningNodeAt(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return PidFiles().Select(NodeRecord.TryRead).OfType<NodeRecord>()
            .Where(n => SameAddress(n.Address, address) && Directory.Exists(n.Session) && NodeProcesses.IsRunning(n))
            .OrderByDescending(n => n.IsHead).ThenByDescending(n => n.ProcessStart)
            .FirstOrDefault();
    }

    /// <summary>A head started on this machine (under this root) that still runs: the one the address file names, else the
    /// newest; null when none does.</summary>
    public NodeRecord? RunningHead()
    {
        var current = ReadAddress();
        return PidFiles().Select(NodeRecord.TryRead).OfType<NodeRecord>()
            .Where(n => n.IsHead && NodeProcesses.IsRunning(n))
            .OrderByDescending(n => current is not null && SameAddress(n.Address, current)).ThenByDescending(n => n.ProcessStart)
            .FirstOrDefault();
    }

    /// <summary>True when two "host:port" client addresses name the same endpoint of this machine: equal text, or the same
    /// port on two loopback names (<c>localhost</c>, <c>127.0.0.1</c>, <c>::1</c>).</summary>
    internal static bool SameAddress(string a, string b)
    {
        if (string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        static (string Host, string Port)? Split(string text)
        {
            var colon = text.Trim().LastIndexOf(':');
            return colon > 0 ? (text.Trim()[..colon].Trim('[', ']'), text.Trim()[(colon + 1)..]) : null;
        }

        static bool IsLoopback(string host) =>
            string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || (System.Net.IPAddress.TryParse(host, out var ip) && System.Net.IPAddress.IsLoopback(ip));

        return Split(a) is { } x && Split(b) is { } y && string.Equals(x.Port, y.Port, StringComparison.Ordinal)
            && (string.Equals(x.Host, y.Host, StringComparison.OrdinalIgnoreCase) || (IsLoopback(x.Host) && IsLoopback(y.Host)));
    }

    public string PidFile(int gatewayPort) => Path.Combine(NodesDirectory, $"node-{gatewayPort.ToString(CultureInfo.InvariantCulture)}.json");

    public IEnumerable<string> PidFiles() =>
        Directory.Exists(NodesDirectory) ? Directory.EnumerateFiles(NodesDirectory, "node-*.json") : [];

    /// <summary>Creates <c>session_&lt;time&gt;_&lt;pid&gt;/logs</c> and points <see cref="LatestSession"/> at it.</summary>
    public string CreateSession()
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"session_{DateTime.Now:yyyy-MM-dd_HH-mm-ss_ffffff}_{Environment.ProcessId}");
        var session = Path.Combine(Root, name);
        // Private to this user (0700): node and job-driver logs, jobs' uploaded sources (job_files) and the token copy
        // live below it, and other users of a shared machine must not read them.
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(session);
        }
        else
        {
            Directory.CreateDirectory(session, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            // The umask applies to CreateDirectory's mode: set it as meant whatever the umask removed.
            File.SetUnixFileMode(session, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.CreateDirectory(Path.Combine(session, "logs"));
        try
        {
            // Replace, not update in place: a symbolic link to a folder cannot be renamed over through File.Move.
            File.Delete(LatestSession);
            File.CreateSymbolicLink(LatestSession, name);
        }
        catch (IOException)
        {
            // The link is a convenience for people; the session folder itself is what the nodes use.
        }

        return session;
    }

    /// <summary>Reads the address file: null when absent or empty.</summary>
    public string? ReadAddress()
    {
        try
        {
            var text = File.ReadAllText(AddressFile).Trim();
            return text.Length > 0 ? text : null;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Writes <paramref name="path"/> atomically (temp file + rename), so readers never see half a file.</summary>
    public static void WriteAtomically(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
