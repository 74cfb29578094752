using System.Globalization;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>Issue 9, case 13: every bad input to <c>orleansray</c> is one line on stderr saying what was wrong and what
/// to do, with exit code 2 (never a .NET type name, never a page of help); an address where nothing listens is said so
/// in one line.</summary>
public sealed class CliInputTests : IDisposable
{
    private readonly OrleansRayCommand _command = new("orc-");

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("job", "lisst")]
    [InlineData("job")]
    [InlineData("status", "extra")]
    [InlineData("start", "--head", "--bogus")]
    [InlineData("start", "--head", "--num-cpus", "abc")]
    [InlineData("start", "--head", "--port", "lots")]
    [InlineData("start", "--head", "--object-store-memory", "1GB")]
    [InlineData("start", "--head", "--code-cache-bytes", "1GB")]
    public async Task Parse_errors_are_one_line_on_stderr_with_exit_code_2_and_no_help_page(params string[] arguments)
    {
        var result = await _command.RunAsync(arguments);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains("--help", line, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", line, StringComparison.Ordinal);
        Assert.True(string.IsNullOrWhiteSpace(result.Output), result.ToString());
        Assert.Empty(_command.NodePids());
    }

    [Fact]
    public async Task A_non_numeric_value_names_the_option_and_the_value()
    {
        var result = await _command.RunAsync("start", "--head", "--num-cpus", "abc");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: --num-cpus 'abc': expected a number", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lisst", "job", "`orleansray job list`")]
    [InlineData("stat", null, "`orleansray status`")]   // the verb it begins, before the nearer "start"
    public async Task An_unknown_verb_names_it_and_suggests_the_close_one(string verb, string? parent, string suggestion)
    {
        var result = parent is null ? await _command.RunAsync(verb) : await _command.RunAsync(parent, verb);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: unknown command '{verb}'", result.Error, StringComparison.Ordinal);
        Assert.Contains(suggestion, result.Error, StringComparison.Ordinal);
    }

    /// <summary>A flag given a word the parser cannot read as true or false is the flag's error, not an unexpected
    /// argument's: <c>--insecure yes</c> (and <c>insecure: yes</c> in an <c>up</c> config) says what the flag takes.</summary>
    [Fact]
    public async Task A_flag_given_yes_says_it_takes_true_or_false()
    {
        var result = await _command.RunAsync("start", "--head", "--insecure", "yes");

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: --insecure is a flag: it takes true or false, not 'yes'; give --insecure alone for true.", line, StringComparison.Ordinal);
        Assert.Empty(_command.NodePids());
    }

    [Fact]
    public async Task An_option_without_its_value_says_it_needs_one()
    {
        var result = await _command.RunAsync("start", "--head", "--num-cpus");

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: --num-cpus needs a value.", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10")]
    [InlineData("0")]
    [InlineData("1048576")]
    public async Task An_object_store_below_the_minimum_is_refused_naming_the_minimum(string bytes)
    {
        var result = await _command.RunAsync("start", "--head", "--port", TestPorts.Free().ToString(CultureInfo.InvariantCulture), "--object-store-memory", bytes);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: --object-store-memory {bytes}: below the minimum of {32L << 20} bytes", line, StringComparison.Ordinal);
        Assert.Empty(_command.NodePids());
    }

    [Fact]
    public async Task Joining_an_address_where_nothing_listens_says_nothing_answers_there()
    {
        // A port nobody listens on: connecting is refused at once.
        var address = "127.0.0.1:" + TestPorts.Free().ToString(CultureInfo.InvariantCulture);

        var result = await _command.RunAsync("start", "--address", address, "--num-cpus", "1");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: --address {address}: nothing answers at {address}", line, StringComparison.Ordinal);
        Assert.Empty(_command.NodePids());
    }

    [Fact]
    public async Task Status_of_an_address_where_nothing_listens_says_nothing_answers_there()
    {
        var address = "127.0.0.1:" + TestPorts.Free().ToString(CultureInfo.InvariantCulture);

        var result = await _command.RunAsync("status", "--address", address);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"nothing answers at {address}", Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_of_the_address_files_cluster_where_nothing_listens_names_the_file_not_an_option_not_given()
    {
        var address = "127.0.0.1:" + TestPorts.Free().ToString(CultureInfo.InvariantCulture);
        var addressFile = Path.Combine(_command.TempDirectory, "orleansray_current_cluster");
        await File.WriteAllTextAsync(addressFile, address);

        var result = await _command.RunAsync("status");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: {addressFile} holds {address}: nothing answers at {address}", line, StringComparison.Ordinal);
    }

    /// <summary><c>job submit</c>'s command argument takes every token the parser does not know; an option it does not
    /// have, before <c>--</c> (or first, without <c>--</c>), is still an unknown option, not a program that is missing.</summary>
    [Theory]
    [InlineData(new[] { "job", "submit", "--runtime-env-json", "{bad", "--", "echo", "hi" }, "--runtime-env-json", null)]
    [InlineData(new[] { "job", "submit", "--wokring-dir", "/tmp", "--", "echo", "hi" }, "--wokring-dir", "--working-dir")]
    [InlineData(new[] { "job", "submit", "--wokring-dir", "/tmp", "echo", "hi" }, "--wokring-dir", "--working-dir")]
    public async Task An_unknown_option_of_job_submit_is_refused_as_one_with_the_close_option(string[] arguments, string option, string? suggestion)
    {
        var result = await _command.RunAsync(arguments);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: unknown option '{option}' for `orleansray job submit`.", line, StringComparison.Ordinal);
        if (suggestion is null)
        {
            Assert.DoesNotContain("Did you mean", line, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains($"Did you mean `{suggestion}`?", line, StringComparison.Ordinal);
        }

        Assert.Contains("`orleansray job submit --help`", line, StringComparison.Ordinal);
        Assert.Empty(_command.NodePids());
    }

    /// <summary>After <c>--</c> a dash is the command's (<c>echo -n</c>): the verb goes on to look for a cluster.</summary>
    [Fact]
    public async Task An_option_after_the_separator_belongs_to_the_jobs_command()
    {
        var result = await _command.RunAsync("job", "submit", "--", "echo", "-n", "hi");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: no cluster address", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_option_of_any_verb_suggests_the_close_one()
    {
        var result = await _command.RunAsync("start", "--head", "--num-cpu", "2");

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: unknown option '--num-cpu' for `orleansray start`. Did you mean `--num-cpus`?", line, StringComparison.Ordinal);
        Assert.Empty(_command.NodePids());
    }

    /// <summary>Ray's <c>ray list</c> takes the dashboard URL, so people give it to the verbs that take the gateway: they
    /// say what they take, where it is printed, and which verbs take the URL.</summary>
    [Theory]
    [InlineData("status")]
    [InlineData("list", "nodes")]
    public async Task A_dashboard_url_given_to_a_gateway_verb_says_it_takes_HOST_PORT_and_the_url_is_for_the_job_verbs(params string[] verb)
    {
        var result = await _command.RunAsync([.. verb, "--address", "http://127.0.0.1:25118"]);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: --address 'http://127.0.0.1:25118' is a URL: this command takes the cluster's gateway HOST:PORT", line, StringComparison.Ordinal);
        Assert.Contains("`orleansray start --head` and `orleansray status` print", line, StringComparison.Ordinal);
        Assert.Contains("the http:// dashboard URL is for the `orleansray job` verbs", line, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot resolve host", line, StringComparison.Ordinal);
    }

    public void Dispose() => _command.Dispose();
}
