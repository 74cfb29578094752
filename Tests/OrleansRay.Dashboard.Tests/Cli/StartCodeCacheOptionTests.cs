using System.Net;
using OrleansRay.Silo.Cli;
using OrleansRay.Silo.Commands;
using OrleansRay.Silo.Hosting;
using Xunit;

namespace OrleansRay.Dashboard.Tests.Cli;

/// <summary><c>orleansray start --code-cache-bytes</c>: the launching <c>start</c> passes the value to the background
/// node it launches, which reads it back and gives it to its node's <see cref="RayNodeOptions.CodeCacheBytes"/>; left
/// out, the node keeps the default (1 GiB). A negative or non-numeric value is refused in one line naming the option
/// (exit code 2).</summary>
public sealed class StartCodeCacheOptionTests
{
    [Theory]
    [InlineData(0L)]
    [InlineData(5L << 20)]
    [InlineData(3L << 30)]
    public void The_value_travels_from_the_launching_start_to_the_background_nodes_options(long bytes)
    {
        var launching = Settings() with { CodeCacheBytes = bytes };

        // The background node's command line, parsed as the background node parses it.
        var arguments = launching.StartArguments(join: null, primary: null);
        var parse = OrleansRayCli.Build().Parse(arguments);
        Assert.Empty(parse.Errors);
        var start = Assert.IsType<StartCommand>(parse.CommandResult.Command);
        var read = start.CodeCacheBytes(parse);
        Assert.Equal(bytes, read);

        var node = new RayNodeOptions();
        (Settings() with { CodeCacheBytes = read }).ApplyTo(node);
        Assert.Equal(bytes, node.CodeCacheBytes);
    }

    [Fact]
    public void Left_out_the_node_keeps_the_default()
    {
        var arguments = Settings().StartArguments(join: null, primary: null);
        Assert.DoesNotContain("--code-cache-bytes", arguments);
        var parse = OrleansRayCli.Build().Parse(arguments);
        Assert.Null(Assert.IsType<StartCommand>(parse.CommandResult.Command).CodeCacheBytes(parse));

        var node = new RayNodeOptions();
        Settings().ApplyTo(node);
        Assert.Equal(new RayOptions().CodeCacheBytes, node.CodeCacheBytes);
        Assert.Equal(1L << 30, node.CodeCacheBytes);
    }

    [Fact]
    public void A_negative_value_is_refused_in_one_line_with_exit_code_2()
    {
        var parse = OrleansRayCli.Build().Parse(["start", "--head", "--code-cache-bytes", "-5"]);
        Assert.Empty(parse.Errors);

        var refused = Assert.Throws<CliException>(() => Assert.IsType<StartCommand>(parse.CommandResult.Command).CodeCacheBytes(parse));
        Assert.Equal(CliException.UsageExitCode, refused.ExitCode);
        Assert.Equal("--code-cache-bytes -5: must be a number of bytes >= 0.", refused.Message);
    }

    [Theory]
    [InlineData("1GB")]
    [InlineData("lots")]
    [InlineData("1.5")]
    public void A_value_that_is_not_a_whole_number_is_refused_in_one_line_naming_the_option(string value)
    {
        var parse = OrleansRayCli.Build().Parse(["start", "--head", "--code-cache-bytes", value]);

        Assert.NotEmpty(parse.Errors);
        var line = ParseErrors.Describe(parse);
        Assert.Equal($"--code-cache-bytes '{value}': expected a whole number, e.g. --code-cache-bytes 1073741824. `orleansray start --help` shows the usage.", line);
        Assert.DoesNotContain('\n', line);
    }

    private static NodeSettings Settings() => new()
    {
        IsHead = true,
        Port = 30000,
        NodePort = 30001,
        NodeIpAddress = IPAddress.Loopback,
        Session = Path.Combine(Path.GetTempPath(), "orleansray-code-cache-option"),
    };
}
