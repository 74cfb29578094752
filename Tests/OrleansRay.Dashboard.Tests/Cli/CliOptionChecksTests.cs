using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OrleansRay.Node;
using OrleansRay.Silo.Cli;
using OrleansRay.Silo.Commands;
using Xunit;

namespace OrleansRay.Dashboard.Tests.Cli;

/// <summary>Checks of the command line's values that need no process: <c>--node-ip-address</c> must be this machine's,
/// <c>--object-store-memory</c> at most what it can hold, a job query against a head that never answers gives up within
/// its deadline, and each state subcommand's <c>--filter</c> help shows a filter it takes. Each refusal is one line
/// naming the option.</summary>
public sealed class CliOptionChecksTests
{
    [Fact]
    public void A_node_address_not_on_this_machine_is_refused_naming_the_option_and_the_addresses_it_has()
    {
        IPAddress[] local = [IPAddress.Parse("127.0.0.1"), IPAddress.Parse("192.0.2.7"), IPAddress.Parse("fd00::7")];

        Assert.Equal(IPAddress.Parse("192.0.2.7"), OptionValues.EnsureLocalAddress("192.0.2.7", IPAddress.Parse("192.0.2.7"), local));
        Assert.Equal(IPAddress.Parse("fd00::7"), OptionValues.EnsureLocalAddress("fd00::7", IPAddress.Parse("fd00::7"), local));
        // Every loopback address is this machine's, listed on an interface or not.
        Assert.Equal(IPAddress.Parse("127.0.0.2"), OptionValues.EnsureLocalAddress("127.0.0.2", IPAddress.Parse("127.0.0.2"), local));

        var refused = Assert.Throws<CliException>(() => OptionValues.EnsureLocalAddress("10.1.2.3", IPAddress.Parse("10.1.2.3"), local));
        Assert.Equal(CliException.UsageExitCode, refused.ExitCode);
        Assert.Equal("--node-ip-address 10.1.2.3: not an address of this machine (its addresses: 127.0.0.1, 192.0.2.7, fd00::7); give one of them, or `auto`.", refused.Message);
        var named = Assert.Throws<CliException>(() => OptionValues.EnsureLocalAddress("far.example", IPAddress.Parse("10.1.2.3"), local));
        Assert.StartsWith("--node-ip-address far.example (10.1.2.3): not an address of this machine", named.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_takes_a_whole_number_of_cpus_and_gpus_and_refuses_a_fraction_naming_the_option()
    {
        Assert.Null(OptionValues.WholeCount("--num-cpus", null, "CPUs"));
        Assert.Equal(0, OptionValues.WholeCount("--num-gpus", 0, "GPUs"));
        Assert.Equal(2, OptionValues.WholeCount("--num-gpus", 2.0, "GPUs"));

        var fraction = Assert.Throws<CliException>(() => OptionValues.WholeCount("--num-gpus", 1.5, "GPUs"));
        Assert.Equal(CliException.UsageExitCode, fraction.ExitCode);
        Assert.Equal("--num-gpus 1.5: give a whole number of GPUs (e.g. --num-gpus 2); a node offers whole GPUs, and a task or actor asks for a fraction of one.", fraction.Message);
        var negative = Assert.Throws<CliException>(() => OptionValues.WholeCount("--num-cpus", -2, "CPUs"));
        Assert.Equal("--num-cpus -2: must be a number >= 0.", negative.Message);
        Assert.Throws<CliException>(() => OptionValues.WholeCount("--num-gpus", double.NaN, "GPUs"));
    }

    [Fact]
    public void An_object_store_larger_than_the_machine_can_hold_is_refused_with_the_bound_and_its_reason()
    {
        var limit = (1L << 30, "the size of /dev/shm");

        Assert.Equal(1L << 30, OptionValues.ObjectStoreMemory(1L << 30, limit));
        var refused = Assert.Throws<CliException>(() => OptionValues.ObjectStoreMemory((1L << 30) + 1, limit));
        Assert.Equal(CliException.UsageExitCode, refused.ExitCode);
        Assert.Equal("--object-store-memory 1073741825: more than this machine can hold, the size of /dev/shm (1073741824 bytes, 1024 MiB); give at most that (the value is in bytes), or leave it out for 30% of memory.", refused.Message);

        // This machine's bound: no more than its memory, and no more than /dev/shm where the arena lives.
        var max = OptionValues.MaxObjectStoreMemory();
        Assert.NotNull(max);
        Assert.InRange(max.Value.Bytes, OptionValues.MinObjectStoreMemory, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        if (Directory.Exists(OptionValues.ArenaDirectory))
        {
            Assert.True(max.Value.Bytes <= new DriveInfo(OptionValues.ArenaDirectory).TotalSize, max.ToString());
        }
    }

    [Fact]
    public async Task A_job_query_to_a_port_that_does_not_speak_http_says_it_may_be_a_gateway_port_not_the_dashboards()
    {
        // What a node's client (gateway) port does to an HTTP request: reads it and closes the connection unanswered.
        using var notHttp = new TcpListener(IPAddress.Loopback, 0);
        notHttp.Start();
        var url = new Uri($"http://127.0.0.1:{((IPEndPoint)notHttp.LocalEndpoint).Port}");
        using var stop = new CancellationTokenSource();
        var closer = Task.Run(async () =>
        {
            // Every connection the client makes (it may try again) is read and closed.
            while (!stop.IsCancellationRequested)
            {
                using var connection = await notHttp.AcceptTcpClientAsync(stop.Token);
                var buffer = new byte[1024];
                _ = await connection.GetStream().ReadAsync(buffer, stop.Token);
            }
        });
        using var api = new JobApiClient(url, token: null, queryDeadline: TimeSpan.FromSeconds(20));

        var refused = await Assert.ThrowsAsync<CliException>(() => api.ListAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));

        // Before: "the head's job API does not answer (The response ended prematurely)".
        Assert.Contains("something answers there, but not over HTTP: is it a node's client (gateway) port such as 30000? The job API is the head's dashboard URL (default port 8265)", refused.Message, StringComparison.Ordinal);
        await stop.CancelAsync();
        try
        {
            await closer.WaitAsync(TimeSpan.FromSeconds(30)); // ends at its next accept or loop check
        }
        catch (OperationCanceledException)
        {
        }
    }

    [Fact]
    public async Task A_job_query_to_a_head_that_accepts_and_never_answers_gives_up_within_its_deadline_naming_the_address()
    {
        Assert.True(JobApiClient.QueryDeadline <= TimeSpan.FromSeconds(30), $"a plain query waits {JobApiClient.QueryDeadline}");
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var url = new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}");
        var deadline = TimeSpan.FromSeconds(2);
        using var api = new JobApiClient(url, token: null, queryDeadline: deadline);

        var clock = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<CliException>(() => api.ListAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.InRange(clock.Elapsed, deadline - TimeSpan.FromMilliseconds(100), deadline + TimeSpan.FromSeconds(10));
        Assert.Equal(CliException.FailureExitCode, refused.ExitCode);
        Assert.Equal($"--address {url.ToString().TrimEnd('/')}: no answer from the head's job API within 2 s; check that it is the head's dashboard URL (default port 8265) and that the head is running and responsive (`orleansray status` on its machine).", refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
    }

    [Theory]
    [InlineData("list", "nodes")]
    [InlineData("list", "jobs")]
    [InlineData("list", "actors")]
    [InlineData("list", "tasks")]
    [InlineData("list", "objects")]
    [InlineData("list", "placement-groups")]
    [InlineData("summary", "tasks")]
    [InlineData("summary", "actors")]
    [InlineData("summary", "objects")]
    [InlineData("memory")]
    public void Each_state_subcommand_shows_a_filter_example_it_accepts(params string[] path)
    {
        System.CommandLine.Command command = path[0] switch
        {
            "list" => StateCommands.List(),
            "summary" => StateCommands.Summary(),
            _ => StateCommands.Memory(),
        };
        if (path.Length > 1)
        {
            command = command.Subcommands.Single(c => c.Name == path[1]);
        }

        var filter = command.Options.Single(o => o.Name == "--filter");
        var example = filter.Description!.Split("E.g. --filter ", 2)[1].TrimEnd('.');
        var resource = path is ["memory"] ? StateResource.Objects : Enum.GetValues<StateResource>().Single(r => StateColumns.CliName(r) == path[1]);

        // Validate throws for a key the resource lacks or a value its key does not take.
        StateColumns.Validate(resource, [StateFilter.Parse(example)]);
    }

    [Theory]
    [InlineData(new[] { "list", "tasks", "--limit", "99999999999" }, "--limit '99999999999': out of range; give 1 to 10000. `orleansray list tasks --help` shows the usage.")]
    [InlineData(new[] { "start", "--head", "--port", "99999999999" }, "--port '99999999999': out of range; a TCP port is 1-65535. `orleansray start --help` shows the usage.")]
    public void A_whole_number_beyond_the_option_s_type_is_refused_with_the_range_it_takes(string[] arguments, string expected)
    {
        var parse = OrleansRayCli.Build().Parse(arguments);

        Assert.NotEmpty(parse.Errors);
        Assert.Equal(expected, ParseErrors.Describe(parse));
    }

    /// <summary>A new user's `--max-upload abc` was told "e.g. --max-upload 4": four bytes. The example is the default.</summary>
    [Fact]
    public void A_byte_count_that_is_not_a_number_is_shown_an_example_in_bytes()
    {
        var parse = OrleansRayCli.Build().Parse(["job", "submit", "--max-upload", "abc", "--", "dotnet", "app.dll"]);

        Assert.NotEmpty(parse.Errors);
        Assert.StartsWith("--max-upload 'abc': expected a whole number, e.g. --max-upload 104857600. ", ParseErrors.Describe(parse), StringComparison.Ordinal);
    }

    [Fact]
    public void A_worker_without_node_ip_address_takes_loopback_for_a_head_on_loopback_and_else_the_address_routing_to_the_head()
    {
        Assert.Equal(IPAddress.Loopback, OptionValues.RouteTo("--address", "127.0.0.1:30000"));
        Assert.Equal(IPAddress.Loopback, OptionValues.RouteTo("--address", "localhost:30000"));
        // Any non-loopback head: the route's source is an address of this machine, never loopback (the netns test
        // joins a head on another "machine").
        var interfaces = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)).ToList();
        // Itself: the kernel routes to a local address through loopback but names that address as the source.
        var own = Assert.IsType<IPAddress>(interfaces.FirstOrDefault(), exactMatch: false);
        Assert.Equal(own, OptionValues.RouteTo("--address", $"{own}:30000"));
    }
}
