using Xunit;

namespace OrleansRay.ObjectStore.Tests;

public sealed class StoreObjectIdTests
{
    [Fact]
    public void Ids_validate_themselves_and_round_trip_through_bytes()
    {
        Assert.Throws<ArgumentException>(() => new StoreObjectId(new byte[16]));
        Assert.Throws<ArgumentException>(() => new StoreObjectId(new byte[19]));
        var guid = Guid.NewGuid();
        var id = new StoreObjectId(guid, 5);
        Assert.Equal(5u, id.Index);
        Assert.Equal(id, new StoreObjectId(id.ToByteArray()));
        Assert.NotEqual(id, new StoreObjectId(guid, 6));
        Assert.Equal(40, id.ToString().Length);
        Assert.Equal(new StoreObjectId(guid), new StoreObjectId(guid.ToByteArray(bigEndian: true)));
    }
}
