using OrleansRay.Ownership;
using OrleansRay.Scheduling;
using Xunit;

namespace OrleansRay.Tests.Generators;

/// <summary>The owner's stream of a streaming generator, driven directly so each interleaving is exact.</summary>
public sealed class GeneratorStreamTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_MoveNext_waiting_when_the_generator_is_disposed_ends_even_if_the_item_arrives_afterwards()
    {
        var table = new ObjectTable();
        var id = TaskId.NewId();
        var stream = new GeneratorStreams(table).Open(id, table.Create(GeneratorItems.EndOf(id)), backpressure: 0);
        Assert.True(stream.TryStart());

        // The consumer waits for item 0, which the producer is about to yield.
        var next = stream.NextAsync(CancellationToken.None).AsTask();
        Assert.False(next.IsCompleted);

        // Disposed from another task (ObjectRefGenerator.DisposeAsync closes the stream)...
        await Task.Run(() => stream.Close(cancelProducer: true));

        // ...then the item already yielded arrives (discarded: nobody consumes any more), and the producer ends
        // having made it.
        stream.Deliver(0, 42, null);
        stream.End.TrySetValue(1);

        // The waiting MoveNextAsync ends (false: the end of the items), as a later one does.
        var (item, error) = await next.WaitAsync(Deadline);
        Assert.Null(item);
        Assert.Null(error);
        Assert.Equal((null, null), await stream.NextAsync(CancellationToken.None).AsTask().WaitAsync(Deadline));
    }

    [Fact]
    public async Task A_MoveNext_waiting_when_the_generator_is_disposed_ends_before_anything_else_arrives()
    {
        var table = new ObjectTable();
        var id = TaskId.NewId();
        var stream = new GeneratorStreams(table).Open(id, table.Create(GeneratorItems.EndOf(id)), backpressure: 0);
        Assert.True(stream.TryStart());
        var next = stream.NextAsync(CancellationToken.None).AsTask();

        await Task.Run(() => stream.Close(cancelProducer: true));

        Assert.Equal((null, null), await next.WaitAsync(Deadline));
    }

    [Theory]
    [InlineData(false, "GeneratorItem")]
    [InlineData(true, "ActorGeneratorItem")]
    public void A_lost_generator_item_says_items_are_not_rebuilt_yet_not_that_its_task_has_no_retries(bool actorCall, string expected)
    {
        var table = new ObjectTable();
        var id = TaskId.NewId();
        var stream = new GeneratorStreams(table).Open(id, table.Create(GeneratorItems.EndOf(id)), backpressure: 0, actorCall);
        Assert.True(stream.TryStart());
        stream.Deliver(0, 7, null);
        Assert.True(table.TryGet(GeneratorItems.IdOf(id, 0), out var item));
        Assert.Equal(expected, item.Origin.ToString());

        var error = ObjectRecovery.LostError(item, new StoredObject { Id = item.Id, Node = "node-b" }, "node node-b died", null);
        Assert.Contains("items of a streaming generator are not rebuilt from lineage yet (ADR 0013)", error.Message);
        Assert.DoesNotContain("MaxRetries", error.Message);
    }
}
