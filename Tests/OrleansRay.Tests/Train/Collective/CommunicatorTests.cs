using OrleansRay.Tests.Fixtures;
using OrleansRay.Train.Collective;
using Xunit;

namespace OrleansRay.Tests.Training.Collective;

[Collection(RayCollection.Name)]
public sealed class CommunicatorTests
{
    private readonly IRay _ray;

    public CommunicatorTests(RayFixture fixture) => _ray = fixture.Ray;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task AllReduce_sums_floats_of_every_rank(int worldSize)
    {
        await using var group = await PeerGroup.StartAsync(_ray, worldSize);
        var inputs = Enumerable.Range(0, worldSize).Select(r => Enumerable.Range(0, 7).Select(i => (float)(r * 10 + i)).ToArray()).ToArray();

        var results = await group.AllAsync(r => group.Peers[r].Task((p, v) => p.AllReduceFloats(v, ReduceOp.Sum), inputs[r]).Remote());

        var expected = Enumerable.Range(0, 7).Select(i => inputs.Sum(v => v[i])).ToArray();
        Assert.All(results, result => Assert.Equal(expected, result));
    }
}
