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

    [Fact]
    public async Task The_least_recently_used_object_is_spilled_first()
    {
        const int Size = 1 << 20;
        await using var store = await TestStore.StartEmbeddedAsync((3L * Size) + 4096);
        await using var client = await store.ConnectAsync();
        var ids = Enumerable.Range(0, 4).Select(_ => StoreObjectId.NewId()).ToArray();
        for (var i = 0; i < 3; i++)
        {
            await client.PutAsync(ids[i], Patterns.Create(Size, (ulong)i));
        }

        using (await client.GetAsync(ids[0], TimeSpan.Zero))
        {
            // Reading the oldest object makes the second one the least recently used.
        }

        await client.PutAsync(ids[3], Patterns.Create(Size, 3));
        var core = store.Embedded!.Core;
        Assert.Equal(Storage.ObjectState.Sealed, core.StateOf(ids[0]));
        Assert.Equal(Storage.ObjectState.Spilled, core.StateOf(ids[1]));
        Assert.Equal(Storage.ObjectState.Sealed, core.StateOf(ids[2]));
        Assert.Equal(Storage.ObjectState.Sealed, core.StateOf(ids[3]));
    }
}
