using OrleansRay.Grains;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Autoscaling;

/// <summary>What every <see cref="IRay.RequestResourcesAsync"/> does, whichever runtime calls it (Ray's
/// <c>request_resources</c>): the request reaches the head's autoscaler grain as bundles, replaces the previous one, is
/// withdrawn by an empty call, and bad input throws before anything is sent.</summary>
internal static class RequestResourcesScenarios
{
    private static Dictionary<string, double> Cpu(double n) => new() { ["CPU"] = n };

    private static async Task<List<Dictionary<string, double>>> RequestedAsync(IGrainFactory head) =>
        (await head.GetGrain<IAutoscalerGrain>(0).RequestedResourcesAsync()).Select(r => r.ToDictionary()).ToList();

    public static async Task The_request_reaches_the_head_replaces_the_previous_one_and_an_empty_call_withdraws_it(IRay ray, IGrainFactory head)
    {
        try
        {
            await ray.RequestResourcesAsync(numCpus: 3);
            Assert.Equal([Cpu(1), Cpu(1), Cpu(1)], await RequestedAsync(head));

            await ray.RequestResourcesAsync(numCpus: 1, bundles: [new Bundle { ["CPU"] = 2, ["accel"] = 1 }, new Bundle { ["GPU"] = 1 }]);
            Assert.Equal(
                [Cpu(1), new Dictionary<string, double> { ["CPU"] = 2, ["accel"] = 1 }, new Dictionary<string, double> { ["GPU"] = 1 }],
                await RequestedAsync(head));

            await ray.RequestResourcesAsync(bundles: [new Bundle { ["memory"] = 1 << 30 }]);
            Assert.Equal([new Dictionary<string, double> { ["memory"] = 1 << 30 }], await RequestedAsync(head)); // replaced, not added

            await ray.RequestResourcesAsync();
            Assert.Empty(await RequestedAsync(head));

            await ray.RequestResourcesAsync(numCpus: 2);
            await ray.RequestResourcesAsync(numCpus: 0, bundles: []);
            Assert.Empty(await RequestedAsync(head));
        }
        finally
        {
            await ray.RequestResourcesAsync();
        }
    }

    public static async Task Bad_input_throws_naming_what_is_wrong_and_keeps_the_previous_request(IRay ray, IGrainFactory head)
    {
        try
        {
            await ray.RequestResourcesAsync(numCpus: 2);

            var negative = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ray.RequestResourcesAsync(numCpus: -1));
            Assert.Equal("numCpus", negative.ParamName);
            Assert.Contains(">= 0", negative.Message, StringComparison.Ordinal);

            // A request is a cluster's shape: at most 10,000 bundles, refused before anything is built or sent (int.MaxValue
            // would otherwise be a list of two billion bundles on the client).
            var huge = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ray.RequestResourcesAsync(numCpus: int.MaxValue));
            Assert.Equal("numCpus", huge.ParamName);
            Assert.Contains("at most 10000 bundles", huge.Message, StringComparison.Ordinal);
            await ray.RequestResourcesAsync(numCpus: 10_000, bundles: []); // the limit itself is accepted...
            Assert.Equal(10_000, (await RequestedAsync(head)).Count);
            await ray.RequestResourcesAsync(numCpus: 2);
            var tooMany = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ray.RequestResourcesAsync(numCpus: 9_999, bundles: [new Bundle { ["GPU"] = 1 }, new Bundle { ["GPU"] = 1 }]));
            Assert.Equal("bundles", tooMany.ParamName);
            Assert.Contains("more than 10000 bundles", tooMany.Message, StringComparison.Ordinal);

            var empty = await Assert.ThrowsAsync<ArgumentException>(() => ray.RequestResourcesAsync(bundles: [new Bundle { ["CPU"] = 1 }, new Bundle()]));
            Assert.Equal("bundles", empty.ParamName);
            Assert.Contains("Bundle 1 asks for no resources", empty.Message, StringComparison.Ordinal);

            var zeros = await Assert.ThrowsAsync<ArgumentException>(() => ray.RequestResourcesAsync(bundles: [new Bundle { ["CPU"] = 0 }]));
            Assert.Contains("Bundle 0 asks for no resources", zeros.Message, StringComparison.Ordinal);

            var missing = await Assert.ThrowsAsync<ArgumentException>(() => ray.RequestResourcesAsync(bundles: [null!]));
            Assert.Contains("Bundle 0 is null", missing.Message, StringComparison.Ordinal);

            var amount = Assert.Throws<ArgumentException>(() => new Bundle { ["CPU"] = -2 });
            Assert.Contains("amounts must be finite and >= 0", amount.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => new Bundle { [" "] = 1 });

            Assert.Equal([Cpu(1), Cpu(1)], await RequestedAsync(head)); // nothing bad was sent
        }
        finally
        {
            await ray.RequestResourcesAsync();
        }
    }
}

/// <summary><see cref="RequestResourcesScenarios"/> on the embedded runtime (its own head).</summary>
[Collection(RayCollection.Name)]
public sealed class EmbeddedRequestResourcesTests(RayFixture fixture)
{
    private IGrainFactory Head => ((Internal.IRayRuntimeAccess)fixture.Ray).Runtime.GrainFactory;

    [Fact]
    public Task The_request_reaches_the_head_replaces_the_previous_one_and_an_empty_call_withdraws_it() =>
        RequestResourcesScenarios.The_request_reaches_the_head_replaces_the_previous_one_and_an_empty_call_withdraws_it(fixture.Ray, Head);

    [Fact]
    public Task Bad_input_throws_naming_what_is_wrong_and_keeps_the_previous_request() =>
        RequestResourcesScenarios.Bad_input_throws_naming_what_is_wrong_and_keeps_the_previous_request(fixture.Ray, Head);

    [Fact]
    public async Task Without_an_autoscaler_the_request_is_recorded_and_no_status_is_reported()
    {
        try
        {
            await fixture.Ray.RequestResourcesAsync(numCpus: 64);
            Assert.Equal(64, (await Head.GetGrain<IAutoscalerGrain>(0).RequestedResourcesAsync()).Count);
            Assert.Null(await Head.GetGrain<IAutoscalerGrain>(0).StatusAsync());
            Assert.Equal(4, (await fixture.Ray.ClusterResourcesAsync())["CPU"]); // nothing acts on it
        }
        finally
        {
            await fixture.Ray.RequestResourcesAsync();
        }
    }

    [Fact]
    public async Task A_cancelled_token_throws_before_anything_is_sent()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fixture.Ray.RequestResourcesAsync(numCpus: 5, cancellationToken: cancelled.Token));
        Assert.Empty(await Head.GetGrain<IAutoscalerGrain>(0).RequestedResourcesAsync());
    }
}

/// <summary><see cref="RequestResourcesScenarios"/> from a connected driver: the request travels to the head (the first
/// node), whose grain the autoscaler loop reads.</summary>
public sealed class ConnectedRequestResourcesTests(TwoNodeDriverFixture fixture) : IClassFixture<TwoNodeDriverFixture>
{
    [Fact]
    public Task The_request_reaches_the_head_replaces_the_previous_one_and_an_empty_call_withdraws_it() =>
        RequestResourcesScenarios.The_request_reaches_the_head_replaces_the_previous_one_and_an_empty_call_withdraws_it(fixture.Ray, fixture.Head);

    [Fact]
    public Task Bad_input_throws_naming_what_is_wrong_and_keeps_the_previous_request() =>
        RequestResourcesScenarios.Bad_input_throws_naming_what_is_wrong_and_keeps_the_previous_request(fixture.Ray, fixture.Head);

    [Fact]
    public async Task A_request_made_inside_a_task_on_another_node_replaces_the_drivers()
    {
        try
        {
            await fixture.Ray.RequestResourcesAsync(numCpus: 4);
            var fromTask = fixture.Ray.Task(RequestTwoGpus).Options(new TaskOptions { SchedulingStrategy = fixture.OnFar }).Remote();
            Assert.True(await fromTask);

            var requested = await fixture.Head.GetGrain<IAutoscalerGrain>(0).RequestedResourcesAsync();
            Assert.Equal([new Dictionary<string, double> { ["GPU"] = 2 }], requested.Select(r => r.ToDictionary()));
        }
        finally
        {
            await fixture.Ray.RequestResourcesAsync();
        }
    }

    /// <summary>Runs on a node: requests through the IRay a task sees.</summary>
    public static async Task<bool> RequestTwoGpus()
    {
        await Ray.Current.RequestResourcesAsync(bundles: [new Bundle { ["GPU"] = 2 }]);
        return true;
    }
}
