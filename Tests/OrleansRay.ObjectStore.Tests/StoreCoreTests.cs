using Xunit;

namespace OrleansRay.ObjectStore.Tests;

/// <summary>Internals of the table that the contract cannot see.</summary>
public sealed class StoreCoreTests
{
    [Fact]
    public async Task Gets_that_time_out_on_absent_ids_leave_no_waiters_behind()
    {
        await using var store = await TestStore.StartEmbeddedAsync(1 << 20);
        await using var client = await store.ConnectAsync();
        var absent = Enumerable.Range(0, 50).Select(_ => StoreObjectId.NewId()).ToArray();
        var results = await client.GetManyAsync(absent, TimeSpan.FromMilliseconds(1));
        Assert.All(results, Assert.Null);
        using var cancelled = new CancellationTokenSource();
        var pending = client.GetAsync(StoreObjectId.NewId(), TimeSpan.FromMinutes(1), cancelled.Token).AsTask();
        Assert.Equal(1, store.Embedded!.Core.SealWaiterCount);

        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        Assert.Equal(0, store.Embedded.Core.SealWaiterCount);
    }
}
