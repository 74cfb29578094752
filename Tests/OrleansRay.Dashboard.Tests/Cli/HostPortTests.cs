using OrleansRay.Silo.Cli;
using Xunit;

namespace OrleansRay.Dashboard.Tests.Cli;

/// <summary>The CLI's HOST:PORT option values: a malformed address and a port out of range are told apart, each in one
/// usage line (exit code 2).</summary>
public sealed class HostPortTests
{
    [Theory]
    [InlineData("127.0.0.1:30000", "127.0.0.1", 30000)]
    [InlineData("[::1]:65535", "::1", 65535)]
    [InlineData("head.local:1", "head.local", 1)]
    public void A_host_and_port_parse(string value, string host, int port)
    {
        Assert.Equal((host, port), OptionValues.HostPort("--address", value));
    }

    [Theory]
    [InlineData("notahost:99999", "99999")]
    [InlineData("127.0.0.1:0", "0")]
    [InlineData("127.0.0.1:99999999999", "99999999999")]
    public void A_port_out_of_range_is_named_as_such(string value, string port)
    {
        var error = Assert.Throws<CliException>(() => OptionValues.HostPort("--address", value));

        Assert.Equal(CliException.UsageExitCode, error.ExitCode);
        Assert.Equal($"--address '{value}': port {port} is out of range; a TCP port is 1-65535, e.g. 127.0.0.1:30000.", error.Message);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData(":30000")]
    [InlineData("host:port")]
    [InlineData("host:-5")]
    public void A_value_without_a_port_asks_for_host_colon_port(string value)
    {
        var error = Assert.Throws<CliException>(() => OptionValues.HostPort("--address", value));

        Assert.Equal(CliException.UsageExitCode, error.ExitCode);
        Assert.Equal($"--address '{value}': expected HOST:PORT, e.g. 127.0.0.1:30000.", error.Message);
    }
}
