using OrleansRay.Scheduling;
using Xunit;

namespace OrleansRay.Tests.Scheduling;

/// <summary>A group's pool on a node (Ray's wildcard bundle resources) next to its bundles: work of one bundle draws on
/// the pool too, so work of one bundle and work of any bundle never hold more than the group reserved on the node.</summary>
public sealed class BundlePoolTests
{
    private static readonly Guid Group = Guid.NewGuid();

    private static ResourceSet Cpus(double n) => BundleClaims.Cpus(n);

    private static ResourceClaim InBundle(int index, double cpus) => BundleClaims.InBundle(Group, index, cpus);

    private static double Named(ResourceLedger ledger, int index) =>
        ledger.Available().ToDictionary().GetValueOrDefault(new BundleKey(Group, index).ResourceName("CPU"));

    [Fact]
    public void A_claim_of_one_bundle_also_claims_the_same_amounts_of_its_groups_pool()
    {
        var claim = InBundle(1, 1.5);
        var parts = claim.Bundles.ToArray().ToDictionary(b => b.Bundle.BundleIndex, b => b.Amounts.ToDictionary()["CPU"]);
        Assert.Equal(new Dictionary<int, double> { [1] = 1.5, [BundleKey.AnyBundle] = 1.5 }, parts);
        Assert.True(claim.Node.IsEmpty);

        var pooled = InBundle(-1, 0.5); // any bundle: the pool alone
        Assert.Equal(BundleKey.AnyBundle, Assert.Single(pooled.Bundles.ToArray()).Bundle.BundleIndex);
    }

    [Fact]
    public void Work_of_a_full_bundle_leaves_any_bundle_work_only_what_the_other_bundles_have()
    {
        var ledger = new ResourceLedger(Cpus(4));
        Assert.True(ledger.ReserveBundles([new BundleReservation(Group, 0, Cpus(2)), new BundleReservation(Group, 1, Cpus(1))]));
        Assert.Equal(3, Named(ledger, BundleKey.AnyBundle));

        var bundleZero = InBundle(0, 2);
        ledger.Take(bundleZero);
        Assert.Equal(1, Named(ledger, BundleKey.AnyBundle)); // what placers on other nodes see of the pool here
        Assert.True(ledger.Fits(InBundle(-1, 1)));
        Assert.False(ledger.Fits(InBundle(-1, 1.5))); // before: the pool still showed 3, so 2 more CPUs than reserved could run

        var anyBundle = InBundle(-1, 1);
        ledger.Take(anyBundle);
        Assert.False(ledger.Fits(InBundle(1, 1))); // the pool is spent: bundle 1's CPU is the one any-bundle work holds

        ledger.Return(bundleZero);
        ledger.Return(anyBundle);
        Assert.Equal(3, Named(ledger, BundleKey.AnyBundle));
        Assert.Equal(2, Named(ledger, 0));
        Assert.True(ledger.Fits(InBundle(1, 1)));
    }

    [Fact]
    public void A_claim_waiting_in_a_Get_gives_back_only_its_CPUs_from_the_node_and_its_bundle()
    {
        var claim = ResourceClaim.Of(ResourceSet.From(new Dictionary<string, double>
        {
            ["CPU"] = 2, ["GPU"] = 1, ["memory"] = 100,
            [new BundleKey(Group, 0).ResourceName("CPU")] = 1, [new BundleKey(Group, 0).ResourceName("GPU")] = 0.5,
        }));

        var released = claim.WhileBlocked;
        Assert.Equal(new Dictionary<string, double> { ["CPU"] = 2 }, released.Node.ToDictionary());
        Assert.All(released.Bundles.ToArray(), b => Assert.Equal(new Dictionary<string, double> { ["CPU"] = 1 }, b.Amounts.ToDictionary()));
        Assert.Equal(2, released.Bundles.Length); // the bundle and its group's pool

        var kept = claim.HeldWhileBlocked;
        Assert.Equal(new Dictionary<string, double> { ["GPU"] = 1, ["memory"] = 100 }, kept.Node.ToDictionary());
        Assert.All(kept.Bundles.ToArray(), b => Assert.Equal(new Dictionary<string, double> { ["GPU"] = 0.5 }, b.Amounts.ToDictionary()));

        // Together they are the whole claim: a task that blocks, resumes and ends leaves the ledger as it found it.
        var ledger = new ResourceLedger(ResourceSet.From(new Dictionary<string, double> { ["CPU"] = 4, ["GPU"] = 2, ["memory"] = 1000 }));
        Assert.True(ledger.ReserveBundles([new BundleReservation(Group, 0, ResourceSet.From(new Dictionary<string, double> { ["CPU"] = 1, ["GPU"] = 1 }))]));
        var before = ledger.Available().ToDictionary();
        ledger.Take(claim);
        ledger.Return(released);
        Assert.Equal(2, ledger.Available().ToDictionary()["GPU_group_" + Group.ToString("N")] + 1.5); // 0.5 of the pool's GPU still held
        ledger.Take(released);
        ledger.Return(claim);
        Assert.Equal(before, ledger.Available().ToDictionary());
    }
}
