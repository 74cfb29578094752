using OrleansRay.Scheduling;
using Xunit;

namespace OrleansRay.Tests.Scheduling;

/// <summary>Ray's bundle resource names, written and read back: the form in which a shape names its bundle.</summary>
public sealed class BundleKeyTests
{
    private static readonly Guid Group = Guid.Parse("0123456789abcdef0123456789abcdef");

    [Theory]
    [InlineData("CPU", 0, "CPU_group_0_0123456789abcdef0123456789abcdef")]
    [InlineData("CPU", 12, "CPU_group_12_0123456789abcdef0123456789abcdef")]
    [InlineData("CPU", BundleKey.AnyBundle, "CPU_group_0123456789abcdef0123456789abcdef")]
    [InlineData("object_store_memory", 1, "object_store_memory_group_1_0123456789abcdef0123456789abcdef")]
    [InlineData("my_group", BundleKey.AnyBundle, "my_group_group_0123456789abcdef0123456789abcdef")]
    public void A_bundle_resource_name_reads_back_to_its_resource_and_bundle(string resource, int index, string name)
    {
        var key = new BundleKey(Group, index);

        Assert.Equal(name, key.ResourceName(resource));
        Assert.True(BundleKey.TryParse(name, out var parsedResource, out var parsedKey));
        Assert.Equal(resource, parsedResource);
        Assert.Equal(key, parsedKey);
    }

    [Theory]
    [InlineData("CPU")]
    [InlineData("object_store_memory")]
    [InlineData("_group_0123456789abcdef0123456789abcdef")]
    [InlineData("CPU_group_x_0123456789abcdef0123456789abcdef")]
    [InlineData("CPU_group_-2_0123456789abcdef0123456789abcdef")]
    [InlineData("CPU_grp_0_0123456789abcdef0123456789abcdef")]
    [InlineData("CPU_group_0_0123456789abcdef0123456789abcdeg")]
    [InlineData("CPU_group_0_00000000000000000000000000000000")]
    public void A_node_resource_name_is_not_a_bundle(string name)
    {
        Assert.False(BundleKey.TryParse(name, out var resource, out _));
        Assert.Equal(name, resource);
    }

    [Fact]
    public void A_bundle_key_checks_itself()
    {
        Assert.Throws<ArgumentException>(() => new BundleKey(Guid.Empty, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BundleKey(Group, -2));
    }
}
