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
        var halves = new StoreObjectId(0x0102030405060708, 0x090A0B0C0D0E0F10, 7);
        Assert.Equal("0102030405060708090a0b0c0d0e0f1000000007", halves.ToString());
        Assert.Equal(halves, new StoreObjectId(halves.ToByteArray()));
        Assert.Equal((0x0102030405060708UL, 0x090A0B0C0D0E0F10UL), (halves.High, halves.Low));
        Assert.Throws<ArgumentException>(() => new StoreObjectId(0, 0, 0));
    }
}
