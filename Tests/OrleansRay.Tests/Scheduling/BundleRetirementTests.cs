using OrleansRay.Scheduling;
using Xunit;

namespace OrleansRay.Tests.Scheduling;

/// <summary>A removed placement group's bundles in a node's ledger: no new tenant takes them, and their resources go back
/// to the node once, when the last tenant gives its share back.</summary>
public sealed class BundleRetirementTests
{
    private static readonly Guid Group = Guid.NewGuid();

    private static ResourceSet Cpus(double n) => BundleClaims.Cpus(n);

    private static ResourceClaim InBundle(int index, double cpus) => BundleClaims.InBundle(Group, index, cpus);

    private static double FreeCpus(ResourceLedger ledger) => ledger.Available().ToDictionary().GetValueOrDefault("CPU");

    private static ResourceLedger TwoBundlesOfTwoCpus()
    {
        var ledger = new ResourceLedger(Cpus(6));
        Assert.True(ledger.ReserveBundles(new[] { new BundleReservation(Group, 0, Cpus(2)), new BundleReservation(Group, 1, Cpus(2)) }));
        Assert.Equal(2, FreeCpus(ledger));
        return ledger;
    }

    [Fact]
    public void Bundles_nobody_holds_return_at_once_and_take_no_tenant_after()
    {
        var ledger = TwoBundlesOfTwoCpus();

        Assert.True(ledger.RetireBundles(Group));

        Assert.Equal(6, FreeCpus(ledger));
        Assert.DoesNotContain(ledger.Total.ToDictionary().Keys, k => k.Contains("_group_", StringComparison.Ordinal));
        Assert.DoesNotContain(ledger.Available().ToDictionary().Keys, k => k.Contains("_group_", StringComparison.Ordinal));
        Assert.False(ledger.Fits(InBundle(0, 1)));
        Assert.False(ledger.FitsTotal(InBundle(0, 1)));
        Assert.False(ledger.RetireBundles(Group)); // a second removal finds nothing
        Assert.Equal(6, FreeCpus(ledger));
    }

    [Fact]
    public void Bundles_return_once_when_their_last_tenant_gives_its_share_back()
    {
        var ledger = TwoBundlesOfTwoCpus();
        var actor = InBundle(0, 2);
        var task = InBundle(1, 0.5);
        var anyBundle = InBundle(-1, 1);
        ledger.Take(actor);
        ledger.Take(task);
        ledger.Take(anyBundle);

        Assert.True(ledger.RetireBundles(Group));
        Assert.Equal(2, FreeCpus(ledger)); // tenants still hold parts of the bundles: nothing comes back yet
        Assert.False(ledger.Fits(InBundle(1, 0.5)));
        Assert.DoesNotContain(ledger.Total.ToDictionary().Keys, k => k.Contains("_group_", StringComparison.Ordinal));

        ledger.Return(task);
        ledger.Return(anyBundle);
        Assert.Equal(2, FreeCpus(ledger));

        ledger.Return(actor); // the last tenant: the two bundles' 4 CPUs come back, once
        Assert.Equal(6, FreeCpus(ledger));
        ledger.Return(actor); // a stray second return of the same share finds no bundle: dropped, not counted again
        Assert.Equal(6, FreeCpus(ledger));
    }

    [Fact]
    public void A_tenant_blocked_in_a_Get_holds_nothing_and_its_resumption_after_the_removal_charges_nothing()
    {
        var ledger = TwoBundlesOfTwoCpus();
        var task = InBundle(0, 1);
        ledger.Take(task);
        ledger.Return(task); // blocked in a Get: its share handed back meanwhile

        Assert.True(ledger.RetireBundles(Group));
        Assert.Equal(6, FreeCpus(ledger)); // nothing held: the bundles came back at once

        ledger.Take(task); // it resumes (its lease was abandoned by the removal, which skips this; here the ledger alone)
        ledger.Return(task);
        Assert.Equal(6, FreeCpus(ledger));
    }
}
