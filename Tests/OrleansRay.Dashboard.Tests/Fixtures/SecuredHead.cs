using System.Globalization;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Dashboard.Tests.Fixtures;

/// <summary>One head for a test class, started with <c>orleansray start --head --metrics-open</c> (secured: the
/// default), one CPU; killed on dispose, also when its start failed.</summary>
public sealed class SecuredHead : IAsyncLifetime
{
    private readonly OrleansRayCommand _command = new("ordsec-");

    /// <summary>The head's dashboard, http://127.0.0.1:PORT.</summary>
    public string Url { get; private set; } = string.Empty;

    /// <summary>The cluster's token, from the head's token file.</summary>
    public string Token { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        try
        {
            var dashboardPort = TestPorts.Free().ToString(CultureInfo.InvariantCulture);
            var start = await _command.RunAsync("start", "--head", "--port", TestPorts.Free().ToString(CultureInfo.InvariantCulture), "--num-cpus", "1", "--dashboard-port", dashboardPort, "--metrics-open");
            if (start.ExitCode != 0)
            {
                throw new InvalidOperationException("The secured head did not start: " + start);
            }

            Url = "http://127.0.0.1:" + dashboardPort;
            Token = HeadAccess.Token(_command);
        }
        catch
        {
            _command.Dispose();
            throw;
        }
    }

    public Task DisposeAsync()
    {
        _command.Dispose();
        return Task.CompletedTask;
    }
}
