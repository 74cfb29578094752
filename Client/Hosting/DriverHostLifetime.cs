using Microsoft.Extensions.Hosting;

namespace OrleansRay.Hosting;

/// <summary>The host lifetime of a driver's embedded node or cluster client: none of its own. The default one
/// (Microsoft.Extensions.Hosting's <c>ConsoleLifetime</c>) takes Ctrl+C, SIGTERM and SIGQUIT for itself and only stops the
/// host, so a driver's <c>Main</c> ran on after Ctrl+C, and <c>orleansray job stop</c> had to SIGKILL every .NET driver.
/// Without it the driver's process keeps .NET's own handling, or the application's: Ctrl+C and SIGTERM end it, as Ray's
/// driver ends on KeyboardInterrupt and on <c>ray job stop</c>'s SIGTERM.</summary>
internal sealed class DriverHostLifetime : IHostLifetime
{
    /// <inheritdoc/>
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
