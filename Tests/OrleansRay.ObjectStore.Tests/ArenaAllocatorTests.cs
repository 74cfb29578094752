using OrleansRay.ObjectStore.Arena;
using Xunit;

namespace OrleansRay.ObjectStore.Tests;

public sealed class ArenaAllocatorTests
{
    [Fact]
    public void Random_allocations_and_frees_never_overlap_and_coalesce_back_to_one_block()
    {
        const long Capacity = 1 << 20;
        var allocator = new ArenaAllocator(Capacity);
        var random = new Random(7);
        var live = new List<(long Offset, long Size)>();
        for (var step = 0; step < 20_000; step++)
        {
            if (live.Count > 0 && random.Next(3) == 0)
            {
                var index = random.Next(live.Count);
                allocator.Free(live[index].Offset, live[index].Size);
                live.RemoveAt(index);
            }
            else if (random.Next(1, 20_000) is var size && allocator.TryAllocate(size, out var offset))
            {
                Assert.Equal(0, offset % ArenaAllocator.Alignment);
                Assert.True(offset + size <= Capacity);
                foreach (var (other, otherSize) in live)
                {
                    Assert.True(offset + ArenaAllocator.AlignedSize(size) <= other || other + ArenaAllocator.AlignedSize(otherSize) <= offset, "blocks overlap");
                }

                live.Add((offset, size));
            }

            Assert.Equal(allocator.Capacity - allocator.UsedBytes, allocator.SumFreeBlocks());
        }

        foreach (var (offset, size) in live)
        {
            allocator.Free(offset, size);
        }

        Assert.Equal(0, allocator.UsedBytes);
        Assert.Equal(1, allocator.FreeBlockCount);
        Assert.Equal(Capacity, allocator.LargestFreeBlock);
    }

    [Fact]
    public void Best_fit_keeps_the_large_hole_for_the_large_object()
    {
        var allocator = new ArenaAllocator(64 * 100);
        Assert.True(allocator.TryAllocate(64 * 10, out var a));
        Assert.True(allocator.TryAllocate(64, out _));
        Assert.True(allocator.TryAllocate(64 * 2, out var c));
        Assert.True(allocator.TryAllocate(64, out _));
        allocator.Free(a, 64 * 10); // hole of 10 blocks
        allocator.Free(c, 64 * 2); // hole of 2 blocks

        Assert.True(allocator.TryAllocate(64 * 2, out var small));
        Assert.Equal(c, small);
        Assert.True(allocator.TryAllocate(64 * 10, out var large));
        Assert.Equal(a, large);
    }

    [Fact]
    public void Freeing_an_invalid_block_throws_instead_of_corrupting_the_free_list()
    {
        var allocator = new ArenaAllocator(4096);
        Assert.Throws<InvalidOperationException>(() => allocator.Free(13, 64));
        Assert.Throws<InvalidOperationException>(() => allocator.Free(4096, 64));
        Assert.False(allocator.TryAllocate(8192, out _));
    }
}
