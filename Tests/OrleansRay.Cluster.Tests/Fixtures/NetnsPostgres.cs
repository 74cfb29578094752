using System.Globalization;
using System.Net;
using OrleansRay.Tests.Processes;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>What the official postgres:15 image does with its environment, in a network namespace: initdb with
/// POSTGRES_USER as superuser and POSTGRES_PASSWORD (scram-sha-256), POSTGRES_DB created (default: the user's name),
/// listening on the namespace's address and its loopback at 5432, <c>host all all SUBNET scram-sha-256</c> in pg_hba.
/// Runs as the postgres user (<c>ip netns exec NS runuser -u postgres -- pg_ctl ...</c>), data in a throwaway folder.</summary>
public sealed class NetnsPostgres(string ns, IPAddress address, string subnetCidr, string root)
{
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(60);

    private string DataDirectory => Path.Combine(root, "data");

    public string BinDirectory { get; private set; } = "/usr/lib/postgresql/15/bin";

    public async Task StartAsync(IReadOnlyDictionary<string, string> environment)
    {
        var user = environment.TryGetValue("POSTGRES_USER", out var u) && u.Length > 0 ? u : "postgres";
        var password = environment.TryGetValue("POSTGRES_PASSWORD", out var p) && p.Length > 0
            ? p
            : throw new ComposeException("postgres: POSTGRES_PASSWORD is empty (the official image refuses to start without it)");
        var database = environment.TryGetValue("POSTGRES_DB", out var d) && d.Length > 0 ? d : user;
        BinDirectory = (await Run("pg_config", ["--bindir"])).Output.Trim();

        Directory.CreateDirectory(root);
        await Run("chown", ["postgres:", root]);
        var passwordFile = Path.Combine(root, "password");
        await File.WriteAllTextAsync(passwordFile, password + "\n");
        await Run("chown", ["postgres:", passwordFile]);
        await Run("runuser", ["-u", "postgres", "--", Path.Combine(BinDirectory, "initdb"), "-D", DataDirectory, "-U", user, "--pwfile", passwordFile, "-A", "scram-sha-256", "-E", "UTF8", "--no-sync"]);
        File.Delete(passwordFile);
        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "pg_hba.conf"), $"host all all {subnetCidr} scram-sha-256\n");
        var options = string.Create(CultureInfo.InvariantCulture, $"-p 5432 -k {root} -c listen_addresses={address},127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        await Run("ip", ["netns", "exec", ns, "runuser", "-u", "postgres", "--", Path.Combine(BinDirectory, "pg_ctl"), "-D", DataDirectory, "-o", options, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "start"]);
        if (database != "postgres")
        {
            // The image's entrypoint: CREATE DATABASE POSTGRES_DB, over the local socket as the superuser.
            await Run("ip", ["netns", "exec", ns, "runuser", "-u", "postgres", "--", Path.Combine(BinDirectory, "psql"), "-h", root, "-p", "5432", "-U", user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", $"CREATE DATABASE \"{database}\""],
                new Dictionary<string, string> { ["PGPASSWORD"] = password });
        }
    }

    public async Task StopAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            // Immediate: a throwaway server. Whatever is left is killed with the namespace's processes.
            await ProcessRunner.RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(BinDirectory, "pg_ctl"), "-D", DataDirectory, "-m", "immediate", "-w", "-t", "10", "stop"], TimeSpan.FromSeconds(20));
        }
    }

    public string LogTail(int lines)
    {
        try
        {
            return string.Join('\n', File.ReadLines(Path.Combine(root, "server.log")).TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    private static async Task<ProcessResult> Run(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var result = await ProcessRunner.RunAsync(program, arguments, CommandDeadline, environment);
        return result.ExitCode == 0 ? result : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed: {result}");
    }
}
