using System.Diagnostics;
using System.Text;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests;

/// <summary>Ray's OwnerDiedError on real processes: a connected driver (the TestApp's <c>own</c> verb) puts an object and
/// gives the ref to a detached actor, then is SIGKILLed. Another driver (<c>read-held</c>) asks the actor for the ref and
/// reads it: the read fails with <c>ObjectLostException</c> saying the owner died once the job table lists the killed
/// driver's job failed (it marks a silent driver after 15 s), instead of waiting on Orleans' 30 s response timeout to
/// the dead driver, over and over, until the gateway forgets it (about 100 s).</summary>
[Collection(ClusterCollection.Name)]
public sealed class KilledOwnerReadTests : IAsyncLifetime
{
    /// <summary>The owner connects, puts its object and creates the actor: seconds when idle.</summary>
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(120);

    /// <summary>How long the reading driver waits for the object (its GetAsync timeout, in seconds): the job table's 15 s
    /// and a loaded machine's slack, well short of the ~100 s a read took when only Orleans' timeouts ended it.</summary>
    private const string ReadSeconds = "60";

    private readonly SharedCluster _shared;
    private readonly ITestOutputHelper _output;

    public KilledOwnerReadTests(SharedCluster shared, ITestOutputHelper output)
    {
        _shared = shared;
        _output = output;
    }

    private LocalCluster Cluster => _shared.Cluster;

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Reading_an_object_whose_owner_driver_was_killed_fails_saying_the_owner_died_once_its_job_is_failed()
    {
        var name = "holder-" + Guid.NewGuid().ToString("N")[..8];
        var owner = new TestAppProcess(Cluster, "own", name);
        try
        {
            await owner.WaitForAsync("holding " + name, ReadyDeadline);
            var hex = owner.Output.Split('\n').Single(l => l.StartsWith("holding " + name, StringComparison.Ordinal)).Split(' ')[^1];
            var id = new ObjectStore.StoreObjectId(ulong.Parse(hex[..16], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture), ulong.Parse(hex[16..], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture));
            // The driver runs on the head's machine: it put the object into the head's store itself.
            await using var headStore = await NodeStores.ConnectAsync(Cluster, Cluster.Head);
            Assert.True(await headStore.ContainsAsync(id), "the owner's put is not in the head's store");
            owner.Kill(); // SIGKILL: no dispose, no goodbye

            var reader = new TestAppProcess(Cluster, "read-held", name, ReadSeconds);
            try
            {
                await reader.WaitForExitAsync(ReadyDeadline + TimeSpan.FromSeconds(int.Parse(ReadSeconds, System.Globalization.CultureInfo.InvariantCulture)));
                Assert.True(reader.ExitCode == 0, reader.ToString());
                Assert.Contains("lost: Object ", reader.Output, StringComparison.Ordinal);
                Assert.Contains("has died", reader.Output, StringComparison.Ordinal);

                // The dead owner's object is freed from the head's store (Ray frees a dead owner's objects), though a
                // detached actor borrowed it: the head recorded the put as the driver's before it was stored.
                await Poll.UntilAsync(async () => !await headStore.ContainsAsync(id), ReadyDeadline, "the killed owner's object to leave the head's store", () => hex);
            }
            finally
            {
                reader.Dispose();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _output.WriteLine($"--- owner:\n{owner}\n--- cluster:\n{Cluster.Diagnostics()}");
            throw;
        }
        finally
        {
            owner.Dispose();
        }
    }
}
