using System.Globalization;
using System.Security.Cryptography;
using OrleansRay.Tests.Processes;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>deploy/compose/docker-compose.yml run without Docker: PostgreSQL, the head and two replicas of the worker
/// service, each in its own network namespace with its own address (<see cref="NetnsNetwork"/>), each running its
/// service's <c>command</c> with the built <c>orleansray</c> and exactly its <c>environment</c> (plus what a container
/// has: PATH, HOME, DOTNET_ROOT, and a private ORLEANSRAY_TEMP_DIR), started in depends_on order, each dependency's
/// condition honoured by running its own healthcheck in its namespace. A further namespace is left for a driver.</summary>
public sealed class NetnsComposeCluster : IAsyncDisposable
{
    /// <summary>Every wait (a healthcheck to pass, a process to exit) ends by this deadline.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly List<NetnsProcess> _processes = [];
    private readonly List<string> _timeline = [];
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private NetnsPostgres? _postgres;

    private NetnsComposeCluster(NetnsNetwork network, IReadOnlyDictionary<string, ComposeService> services, IReadOnlyDictionary<string, string> variables)
    {
        Network = network;
        Services = services;
        Variables = variables;
    }

    public static string ComposeFolder => Path.Combine(RepositoryFiles.Root, "deploy", "compose");

    public static string ComposePath => Path.Combine(ComposeFolder, "docker-compose.yml");

    public NetnsNetwork Network { get; }

    public IReadOnlyDictionary<string, ComposeService> Services { get; }

    /// <summary>The env file's variables the file was read with (.env.example plus fresh secrets).</summary>
    public IReadOnlyDictionary<string, string> Variables { get; }

    /// <summary>The containers: postgres, head, worker1, worker2 (replicas of "worker") and driver (no service).</summary>
    public static readonly IReadOnlyList<string> Containers = ["postgres", "head", "worker1", "worker2", "driver"];

    public IReadOnlyList<NetnsProcess> Processes => _processes;

    public NetnsProcess Head => _processes.Single(p => p.Name == "head");

    public string Namespace(string container) => Network.Namespace(container);

    public string HostName(string container) => $"{container}-{Network.Id}";

    /// <summary>.env.example's variables with the secrets it leaves empty filled with fresh random values.</summary>
    public static Dictionary<string, string> TestVariables()
    {
        var variables = ComposeFile.ReadEnvFile(Path.Combine(ComposeFolder, ".env.example"));
        variables["ORLEANSRAY_AUTH_TOKEN"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        variables["POSTGRES_PASSWORD"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        return variables;
    }

    /// <summary>Reads the compose file, builds the network and starts every service; throws (after cleaning up) with
    /// the timeline and the logs when one does not come up.</summary>
    public static async Task<NetnsComposeCluster> StartAsync(IReadOnlyDictionary<string, string>? variables = null, Func<string, IReadOnlyDictionary<string, ComposeService>, IReadOnlyDictionary<string, ComposeService>>? edit = null)
    {
        variables ??= TestVariables();
        var services = ComposeFile.Load(ComposePath, variables);
        if (edit is not null)
        {
            services = edit(ComposePath, services);
        }

        var network = await NetnsNetwork.CreateAsync();
        var cluster = new NetnsComposeCluster(network, services, variables);
        try
        {
            for (var i = 0; i < Containers.Count; i++)
            {
                await network.AddAsync(Containers[i], 10 + i);
            }

            await network.WriteHostsAsync(new Dictionary<string, string> { ["postgres"] = "postgres", ["head"] = "head" }, cluster.HostName);
            cluster.Note($"network {network.Bridge} {network.SubnetCidr}: " + string.Join(", ", Containers.Select(c => $"{c} {network.AddressOf(c)}")));
            await cluster.StartServicesAsync();
            return cluster;
        }
        catch (Exception ex)
        {
            var diagnostics = cluster.Diagnostics();
            await cluster.DisposeAsync();
            throw new InvalidOperationException($"the compose cluster did not come up: {ex.Message}\n{diagnostics}", ex);
        }
    }

    private async Task StartServicesAsync()
    {
        // Compose's order: a service starts once its depends_on conditions hold. Replicas of "worker": worker1, worker2.
        var instances = new Dictionary<string, string[]>(StringComparer.Ordinal) { ["postgres"] = ["postgres"], ["head"] = ["head"], ["worker"] = ["worker1", "worker2"] };
        var unknown = Services.Keys.Except(instances.Keys).ToList();
        if (unknown.Count > 0 || instances.Keys.Any(k => !Services.ContainsKey(k)))
        {
            throw new ComposeException($"the test runs the services postgres, head and worker; the file has {string.Join(", ", Services.Keys)}");
        }

        var started = new HashSet<string>(StringComparer.Ordinal);
        var healthy = new HashSet<string>(StringComparer.Ordinal);
        while (started.Count < instances.Count)
        {
            var ready = instances.Keys.Where(s => !started.Contains(s) && Services[s].DependsOn.All(d => d.Value switch
            {
                "service_healthy" => healthy.Contains(d.Key),
                "service_started" => started.Contains(d.Key),
                _ => throw new ComposeException($"{s}: depends_on {d.Key} condition {d.Value} is not one the test knows"),
            })).ToList();
            if (ready.Count == 0)
            {
                throw new ComposeException("depends_on has a cycle or names a service that does not exist");
            }

            foreach (var service in ready)
            {
                await Task.WhenAll(instances[service].Select(container => StartContainerAsync(Services[service], container)));
                started.Add(service);
            }

            // Healthy: each started service's healthcheck passes in every one of its containers (checked once each).
            foreach (var service in ready)
            {
                if (Services[service].Healthcheck is null)
                {
                    throw new ComposeException($"{service} has no healthcheck: the others depend on it being up");
                }

                await Task.WhenAll(instances[service].Select(container => WaitHealthyAsync(Services[service], container)));
                healthy.Add(service);
            }
        }
    }

    private async Task StartContainerAsync(ComposeService service, string container)
    {
        if (service.Name == "postgres")
        {
            if (service.Image is not { } image || !image.StartsWith("postgres:15", StringComparison.Ordinal))
            {
                throw new ComposeException($"postgres: image {service.Image}: the test emulates the official postgres:15 image");
            }

            _postgres = new NetnsPostgres(Namespace(container), Network.AddressOf(container), Network.SubnetCidr, Path.Combine(Network.Root, container));
            Note("postgres: initdb and start");
            await _postgres.StartAsync(service.Environment);
            Note("postgres: started");
            return;
        }

        var temp = Path.Combine(Network.Root, container);
        Directory.CreateDirectory(temp);
        var environment = ContainerEnvironment(temp);
        foreach (var (key, value) in service.Environment)
        {
            environment[key] = value;
        }

        Note($"{container}: orleansray {string.Join(' ', service.Command)}");
        _processes.Add(NetnsProcess.Start(container, Namespace(container), HostName(container), DotNet, [OrleansRayCommand.CommandAssembly, .. service.Command], environment, Path.Combine(Network.Root, container + ".log")));
    }

    /// <summary>What a container's process has besides its service's environment: PATH, HOME, DOTNET_ROOT (to run
    /// dotnet), and its own ORLEANSRAY_TEMP_DIR (pid and address files, logs, the object store's socket).</summary>
    public static Dictionary<string, string> ContainerEnvironment(string temp)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["HOME"] = temp,
            ["ORLEANSRAY_TEMP_DIR"] = temp,
        };
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root)
        {
            environment["DOTNET_ROOT"] = root;
        }

        return environment;
    }

    /// <summary>Runs the service's healthcheck in the container's namespace until it passes (each try bounded by its
    /// timeout; all by <see cref="Deadline"/>); fails at once when the container's process exited.</summary>
    private async Task WaitHealthyAsync(ComposeService service, string container)
    {
        var test = service.Healthcheck!;
        var environment = ContainerEnvironment(Path.Combine(Network.Root, container));
        if (service.Name == "postgres")
        {
            // The official image has its binaries on PATH.
            environment["PATH"] = _postgres!.BinDirectory + ":" + environment["PATH"];
        }

        foreach (var (key, value) in service.Environment)
        {
            environment[key] = value;
        }

        var end = DateTime.UtcNow + Deadline;
        ProcessResult? last = null;
        while (true)
        {
            var process = _processes.SingleOrDefault(p => p.Name == container);
            if (process is { HasExited: true })
            {
                throw new InvalidOperationException($"{container} exited with {process.ExitCode} before it was healthy:\n{process.Tail(60)}");
            }

            try
            {
                last = await ProcessRunner.RunAsync("ip", ["netns", "exec", Namespace(container), .. test], service.HealthcheckTimeout, environment);
            }
            catch (TimeoutException ex)
            {
                last = new ProcessResult(-1, string.Empty, ex.Message);
            }

            if (last.ExitCode == 0)
            {
                Note($"{container}: healthy");
                return;
            }

            if (DateTime.UtcNow > end)
            {
                throw new TimeoutException($"{container}: its healthcheck ({string.Join(' ', test)}) did not pass within {Deadline}; last: {last}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Starts a program (e.g. a driver) in a container's namespace with exactly <paramref name="environment"/>
    /// plus what a container has.</summary>
    public NetnsProcess StartIn(string container, string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var temp = Path.Combine(Network.Root, container);
        Directory.CreateDirectory(temp);
        var full = ContainerEnvironment(temp);
        foreach (var (key, value) in environment)
        {
            full[key] = value;
        }

        Note($"{container}: {Path.GetFileName(program)} {string.Join(' ', arguments)}");
        var process = NetnsProcess.Start(container, Namespace(container), HostName(container), program, arguments, full, Path.Combine(Network.Root, container + ".log"));
        _processes.Add(process);
        return process;
    }

    /// <summary>Runs a command to its end in a container's namespace (no new UTS namespace).</summary>
    public Task<ProcessResult> RunInAsync(string container, IReadOnlyList<string> command, TimeSpan deadline, IReadOnlyDictionary<string, string>? environment = null) =>
        ProcessRunner.RunAsync("ip", ["netns", "exec", Namespace(container), .. command], deadline, environment);

    /// <summary>kill -9 of every process in the container's namespace (a node and its object store: a container's death).</summary>
    public async Task<IReadOnlyList<int>> KillContainerAsync(string container)
    {
        var pids = await NetnsNetwork.PidsAsync(Namespace(container));
        Note($"kill -9 of {container}'s processes {string.Join(", ", pids)}");
        await NetnsNetwork.KillAllAsync(Namespace(container), TimeSpan.FromSeconds(20));
        Note($"{container}: no process left");
        return pids;
    }

    public void Note(string what)
    {
        lock (_timeline)
        {
            _timeline.Add(string.Create(CultureInfo.InvariantCulture, $"{_clock.Elapsed.TotalSeconds,7:0.00} s  {what}"));
        }
    }

    public string Diagnostics(int lines = 40)
    {
        string timeline;
        lock (_timeline)
        {
            timeline = string.Join('\n', _timeline);
        }

        return timeline + "\n" + string.Join('\n', _processes.Select(p => $"--- {p.Name} (pid {p.Pid}{(p.HasExited ? $", exit {p.ExitCode}" : string.Empty)}):\n{p.Tail(lines)}"))
            + (_postgres is null ? string.Empty : $"\n--- postgres log:\n{_postgres.LogTail(lines)}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_postgres is not null)
            {
                await _postgres.StopAsync();
            }
        }
        finally
        {
            try
            {
                // Kills every process of every namespace and removes the network and the run's folder.
                await Network.DisposeAsync();
            }
            finally
            {
                foreach (var process in _processes)
                {
                    process.Dispose();
                }
            }
        }
    }

    public static string DotNet { get; } = FindDotNet();

    private static string FindDotNet()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "dotnet");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("dotnet is not on PATH");
    }
}
