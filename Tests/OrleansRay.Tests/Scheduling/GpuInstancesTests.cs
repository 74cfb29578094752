using OrleansRay.Scheduling;
using Xunit;

namespace OrleansRay.Tests.Scheduling;

/// <summary>The ledger's GPU instances (Ray's resource instances behind <c>ray.get_gpu_ids()</c>): which GPUs of a node a
/// task, actor or bundle is given, for whole GPUs, fractions and placement-group bundles.</summary>
public sealed class GpuInstancesTests
{
    private static readonly Guid Group = Guid.NewGuid();

    private static ResourceSet Shape(params (string Name, double Amount)[] items) =>
        ResourceSet.From(items.Select(i => KeyValuePair.Create(i.Name, i.Amount)));

    private static ResourceClaim Gpus(double n) => ResourceClaim.Of(Shape(("CPU", 1), ("GPU", n)));

    /// <summary>A claim of <paramref name="gpus"/> GPUs from bundle <paramref name="index"/> (-1: any bundle of the group).</summary>
    private static ResourceClaim InBundle(int index, double gpus) =>
        ResourceClaim.Of(Shape((new BundleKey(Group, index).ResourceName("GPU"), gpus)));

    private static ResourceLedger Node(double gpus) => new(Shape(("CPU", 16), ("GPU", gpus)));

    private static int[] Ids(GpuGrant? grant) => [.. Assert.IsAssignableFrom<GpuGrant>(grant).Ids];

    [Fact]
    public void Whole_GPUs_are_distinct_instances_lowest_first_and_come_back_when_returned()
    {
        var ledger = Node(4);
        var one = Gpus(1);
        var two = Gpus(2);

        var first = ledger.Take(one);
        var second = ledger.Take(two);
        var third = ledger.Take(one);
        Assert.Equal([0], Ids(first));
        Assert.Equal([1, 2], Ids(second));
        Assert.Equal([3], Ids(third));
        Assert.False(ledger.Fits(one));

        ledger.Return(two, second);
        Assert.True(ledger.Fits(two));
        Assert.Equal([1, 2], Ids(ledger.Take(two)));
        Assert.Null(ledger.Take(ResourceClaim.Of(Shape(("CPU", 1))))); // no GPU asked: no instance, nothing assigned
    }

    [Fact]
    public void Fractions_share_an_instance_packed_onto_the_fullest_that_has_room()
    {
        var ledger = Node(2);
        var half = Gpus(0.5);
        var quarter = Gpus(0.25);

        Assert.Equal([0], Ids(ledger.Take(half)));
        Assert.Equal([0], Ids(ledger.Take(quarter)));
        Assert.Equal([0], Ids(ledger.Take(quarter))); // instance 0 is now full
        var another = ledger.Take(half);
        Assert.Equal([1], Ids(another));
        Assert.Equal([1], Ids(ledger.Take(quarter))); // 0.25 left on 1: best fit, not a fresh GPU
        Assert.False(ledger.Fits(Gpus(1))); // no whole GPU is left though 0.25 of one is
        ledger.Return(half, another);
        Assert.False(ledger.Fits(Gpus(1))); // instance 1 still holds the quarter
        Assert.True(ledger.Fits(Gpus(0.75)));
    }

    [Fact]
    public void Free_amounts_split_over_two_GPUs_do_not_fit_a_request_one_GPU_cannot_hold()
    {
        var ledger = Node(2);
        var share = Gpus(0.6);
        Assert.Equal([0], Ids(ledger.Take(share)));
        Assert.Equal([1], Ids(ledger.Take(share)));

        // 0.8 GPU is free in all (0.4 on each), so the amounts fit; no one GPU has 0.8, so the request waits.
        Assert.Equal(0.8, ledger.Available()[ResourceSet.Gpu], 6);
        Assert.False(ledger.Fits(Gpus(0.8)));
        Assert.True(ledger.Fits(Gpus(0.4)));
    }

    [Fact]
    public void A_request_above_one_with_a_fraction_takes_whole_GPUs_and_the_fraction_on_one_more()
    {
        var ledger = Node(3);
        Assert.Equal([0], Ids(ledger.Take(Gpus(0.5))));
        Assert.Equal([0, 1, 2], Ids(ledger.Take(Gpus(2.5)))); // 1 and 2 whole, the half on 0 (the fullest with room)
        Assert.False(ledger.Fits(Gpus(0.1)));
    }

    [Fact]
    public void An_embedded_node_with_a_fraction_of_a_GPU_has_one_instance_of_that_size()
    {
        var ledger = Node(0.5);
        Assert.False(ledger.Fits(Gpus(1)));
        Assert.Equal([0], Ids(ledger.Take(Gpus(0.5))));
        Assert.False(ledger.Fits(Gpus(0.25)));
    }

    [Fact]
    public void A_bundle_reserves_instances_its_work_gets_and_the_node_keeps_the_others()
    {
        var ledger = Node(3);
        Assert.True(ledger.ReserveBundles([new BundleReservation(Group, 0, Shape(("GPU", 1))), new BundleReservation(Group, 1, Shape(("GPU", 1)))]));

        Assert.Equal([2], Ids(ledger.Take(Gpus(1)))); // the node's one unreserved GPU
        Assert.False(ledger.Fits(Gpus(1)));
        Assert.Equal([0], Ids(ledger.Take(InBundle(-1, 1)))); // any bundle: the first whose GPU is free

        // Bundle 0's amounts are untouched (any-bundle work draws on the group's pool), but its one GPU is in use.
        Assert.False(ledger.Fits(InBundle(0, 1)));
        var second = InBundle(1, 1);
        Assert.True(ledger.Fits(second));
        Assert.Equal([1], Ids(ledger.Take(second)));
    }

    [Fact]
    public void A_fractional_bundle_shares_a_GPU_with_the_node_and_its_work_stays_on_that_GPU()
    {
        var ledger = Node(1);
        Assert.True(ledger.ReserveBundles([new BundleReservation(Group, 0, Shape(("GPU", 0.5)))]));
        Assert.Equal([0], Ids(ledger.Take(Gpus(0.5))));
        Assert.False(ledger.Fits(Gpus(0.25)));
        Assert.Equal([0], Ids(ledger.Take(InBundle(0, 0.25))));
        Assert.True(ledger.Fits(InBundle(0, 0.25)));
        Assert.False(ledger.Fits(InBundle(0, 0.5)));
    }

    [Fact]
    public void Bundles_that_no_free_instance_can_hold_are_not_reserved_and_take_nothing()
    {
        var ledger = Node(2);
        Assert.Equal([0], Ids(ledger.Take(Gpus(0.6))));
        Assert.Equal([1], Ids(ledger.Take(Gpus(0.6))));

        // 0.8 GPU is free in amounts; a bundle of 0.5 fits one GPU, a second one of 0.5 does not (0.4 left on each).
        Assert.False(ledger.ReserveBundles([new BundleReservation(Group, 0, Shape(("GPU", 0.3))), new BundleReservation(Group, 1, Shape(("GPU", 0.5)))]));
        Assert.True(ledger.Fits(Gpus(0.4))); // the first bundle's pick was given back
        Assert.Equal(0.8, ledger.Available()[ResourceSet.Gpu], 6);
    }

    [Fact]
    public void A_removed_groups_GPUs_go_back_to_the_node_once_its_last_tenant_returns_them()
    {
        var ledger = Node(1);
        Assert.True(ledger.ReserveBundles([new BundleReservation(Group, 0, Shape(("GPU", 1)))]));
        var tenant = InBundle(0, 1);
        var held = ledger.Take(tenant);
        Assert.Equal([0], Ids(held));

        Assert.True(ledger.RetireBundles(Group));
        Assert.False(ledger.Fits(Gpus(1))); // the tenant still runs on it

        ledger.Return(tenant, held);
        Assert.True(ledger.Fits(Gpus(1)));
        Assert.Equal([0], Ids(ledger.Take(Gpus(1))));
    }

    [Fact]
    public void A_rolled_back_reservation_gives_its_GPUs_back_to_the_node_at_once()
    {
        var ledger = Node(1);
        Assert.True(ledger.ReserveBundles([new BundleReservation(Group, 0, Shape(("GPU", 1)))]));
        Assert.False(ledger.Fits(Gpus(1)));
        Assert.True(ledger.ReleaseBundles(Group));
        Assert.Equal([0], Ids(ledger.Take(Gpus(1))));
    }

    [Fact]
    public void Available_amounts_carry_no_float_dust_after_fractions_come_back_in_another_order()
    {
        var ledger = Node(1);
        var tenth = Gpus(0.1);
        var fifth = Gpus(0.2);
        var first = ledger.Take(tenth);
        var second = ledger.Take(fifth);
        ledger.Return(fifth, second);
        ledger.Return(tenth, first);

        Assert.Equal(1.0, ledger.Available()[ResourceSet.Gpu]); // 1 - 0.1 - 0.2 + 0.2 + 0.1 is 0.9999999999999999 unrounded
        Assert.True(ledger.Fits(Gpus(1)));
    }
}
