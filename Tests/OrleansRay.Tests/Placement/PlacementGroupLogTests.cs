using Microsoft.Extensions.Logging;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Placement;

/// <summary>A node's log names a placement group as <c>PlacementGroup.ToString()</c>, the state API and
/// <c>orleansray list placement-groups</c> do: its id in 32 hex digits (Ray prints hex ids), and its name in quotes only
/// when it has one. Each test starts its own driver and disposes it.</summary>
public sealed class PlacementGroupLogTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_nodes_log_names_a_group_by_its_hex_id_and_its_name_only_when_it_has_one()
    {
        var log = new RecordingLoggerProvider();
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, LogLevel = LogLevel.Information, LogTo = log });
        var bundles = new[] { new Bundle { ["CPU"] = 1 } };

        var unnamed = await ray.CreatePlacementGroupAsync(bundles);
        var named = await ray.CreatePlacementGroupAsync(bundles, PlacementStrategy.Pack, name: "workers");
        Assert.True(await unnamed.WaitAsync(Deadline), "the unnamed group was placed");
        Assert.True(await named.WaitAsync(Deadline), "the named group was placed");
        await ray.RemovePlacementGroupAsync(unnamed);
        await ray.RemovePlacementGroupAsync(named);
        await Eventually.TrueAsync(() => Lines().Any(l => l.StartsWith($"Placement group {named.Id:N} removed", StringComparison.Ordinal)), Deadline, "the removal was logged");

        Assert.Contains(Lines(), l => l.StartsWith($"Placement group {unnamed.Id:N} created: Pack of ", StringComparison.Ordinal));
        Assert.Contains(Lines(), l => l.StartsWith($"Placement group {named.Id:N} 'workers' created: Pack of ", StringComparison.Ordinal));
        Assert.Contains(unnamed.Id.ToString("N"), unnamed.ToString(), StringComparison.Ordinal); // the format PlacementGroup prints
        var aboutGroups = Lines().Where(l => l.Contains(unnamed.Id.ToString("N"), StringComparison.Ordinal) || l.Contains(named.Id.ToString("N"), StringComparison.Ordinal)).ToList();
        Assert.True(aboutGroups.Count >= 4, string.Join('\n', aboutGroups));
        Assert.All(Lines(), l => Assert.DoesNotContain(unnamed.Id.ToString(), l, StringComparison.Ordinal)); // never with dashes
        Assert.All(Lines(), l => Assert.DoesNotContain(named.Id.ToString(), l, StringComparison.Ordinal));
        Assert.All(aboutGroups, l => Assert.DoesNotContain("()", l, StringComparison.Ordinal));

        IEnumerable<string> Lines() => log.Entries.Select(e => e.Message);
    }
}
