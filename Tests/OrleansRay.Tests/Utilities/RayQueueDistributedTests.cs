using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Utilities;

/// <summary>A queue shared by a producer task on one node and a consumer task on another, through a connected driver.</summary>
public sealed class RayQueueDistributedTests : IAsyncLifetime
{
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await InProcessCluster.StartAsync((2, null), (2, null));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    public static async Task<string> Produce(RayQueue<int> queue, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await queue.PutAsync(i);
        }

        return RayContext.NodeId.Value;
    }

    public static async Task<QueueConsumption> Consume(RayQueue<int> queue, int count)
    {
        var items = new List<int>(count);
        for (var i = 0; i < count; i++)
        {
            items.Add(await queue.GetAsync(TimeSpan.FromSeconds(60)));
        }

        return new QueueConsumption(items, RayContext.NodeId.Value);
    }

    [Fact]
    public async Task A_producer_task_and_a_consumer_task_on_two_nodes_exchange_1000_items_in_order()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        // Bounded, so the producer also waits for the consumer now and then.
        var queue = RayQueue<int>.Create(ray, maxSize: 50);
        var (producerNode, consumerNode) = (_cluster.Nodes[0].NodeId, _cluster.Nodes[1].NodeId);

        var consumer = ray.Task(Consume, queue, 1000).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(consumerNode) }).Remote();
        var producer = ray.Task(Produce, queue, 1000).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(producerNode) }).Remote();

        var consumed = await ray.GetAsync(consumer, TimeSpan.FromMinutes(2));
        Assert.Equal(producerNode.Value, await ray.GetAsync(producer, TimeSpan.FromSeconds(30)));
        Assert.Equal(consumerNode.Value, consumed.Node);
        Assert.Equal(Enumerable.Range(0, 1000), consumed.Items);
        Assert.True(await queue.IsEmptyAsync());
        await queue.ShutdownAsync();
    }
}

[GenerateSerializer]
public sealed record QueueConsumption([property: Id(0)] List<int> Items, [property: Id(1)] string Node);
