using System.Globalization;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>The command line refuses, in one line naming the option (exit code 2) and before any node starts: a
/// <c>--node-ip-address</c> not on this machine, an <c>--object-store-memory</c> larger than it can hold, the head-only
/// dashboard options on a worker, a fractional or negative <c>--num-gpus</c> or <c>--num-cpus</c>, and a state
/// <c>--filter</c> with an unknown key.</summary>
public sealed class CliOptionChecksTests : IDisposable
{
    private readonly OrleansRayCommand _command = new("ocheck-");

    [Theory]
    [InlineData("--node-ip-address", "10.1.2.3", "error: --node-ip-address 10.1.2.3: not an address of this machine")]
    [InlineData("--object-store-memory", "1000000000000000", "error: --object-store-memory 1000000000000000: more than this machine can hold")]
    [InlineData("--dashboard-host", "8.8.8.8", "error: --dashboard-host 8.8.8.8: not an address of this machine")]
    public async Task Start_refuses_an_address_or_a_store_size_the_machine_cannot_have_in_one_line_before_anything_starts(string option, string value, string start)
    {
        var result = await _command.RunAsync("start", "--head", "--port", TestPorts.Free().ToString(CultureInfo.InvariantCulture), option, value);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(start, line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
        Assert.Empty(_command.NodePids());
    }

    [Theory]
    [InlineData("--num-gpus", "1.5", "error: --num-gpus 1.5: give a whole number of GPUs (e.g. --num-gpus 2); a node offers whole GPUs, and a task or actor asks for a fraction of one.")]
    [InlineData("--num-gpus", "-1", "error: --num-gpus -1: must be a number >= 0.")]
    [InlineData("--num-cpus", "0.5", "error: --num-cpus 0.5: give a whole number of CPUs (e.g. --num-cpus 1); a node offers whole CPUs, and a task or actor asks for a fraction of one.")]
    public async Task Start_refuses_a_fractional_or_negative_cpu_or_gpu_count_in_one_line_as_rays_start_takes_whole_ones(string option, string value, string expected)
    {
        var result = await _command.RunAsync("start", "--head", "--port", TestPorts.Free().ToString(CultureInfo.InvariantCulture), option, value);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(expected, Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Empty(_command.NodePids());
    }

    [Theory]
    [InlineData("--dashboard-port", "9999")]
    [InlineData("--dashboard-host", "0.0.0.0")]
    [InlineData("--metrics-open")]
    public async Task A_worker_refuses_the_head_only_dashboard_options_as_it_refuses_the_autoscaling_config(params string[] option)
    {
        // Refused before the worker looks for its head: nothing need answer at the address.
        var result = await _command.RunAsync(["start", "--address", "127.0.0.1:1", .. option]);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"error: {option[0]} is for the head, which serves the dashboard, /api and /metrics: give it with --head, or leave it out on a worker.", line);
        Assert.Empty(_command.NodePids());
    }

    [Fact]
    public async Task A_filter_with_an_unknown_key_says_so_once_with_the_valid_keys()
    {
        // Refused before any connection (nothing listens at the address).
        var result = await _command.RunAsync("list", "objects", "--filter", "nokey=1", "--address", "127.0.0.1:1");

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: --filter key 'nokey' is not a column of objects; valid keys: object_id, ", line, StringComparison.Ordinal);
    }

    public void Dispose() => _command.Dispose();
}
