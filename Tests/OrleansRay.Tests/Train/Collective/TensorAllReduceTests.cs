using OrleansRay.Tests.Fixtures;
using OrleansRay.Train;
using OrleansRay.Train.Collective;
using Xunit;

namespace OrleansRay.Tests.Training.Collective;

/// <summary>AllReduce of <c>Tensor&lt;float&gt;</c> and <c>Tensor&lt;double&gt;</c> between actor ranks on one embedded
/// node (as <see cref="CommunicatorTests"/> does arrays), and through a trainer's <see cref="TrainContext"/>.</summary>
[Collection(RayCollection.Name)]
public sealed class TensorAllReduceTests
{
    private readonly IRay _ray;

    public TensorAllReduceTests(RayFixture fixture) => _ray = fixture.Ray;

    public static TheoryData<int, ReduceOp> RanksAndOps()
    {
        var data = new TheoryData<int, ReduceOp>();
        foreach (var ranks in new[] { 2, 4 })
        {
            foreach (var op in new[] { ReduceOp.Sum, ReduceOp.Mean, ReduceOp.Max })
            {
                data.Add(ranks, op);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RanksAndOps))]
    public async Task AllReduce_of_a_2D_float_tensor_gives_every_rank_the_elementwise_reduction_in_place_shape_kept(int ranks, ReduceOp op)
    {
        long[] lengths = [7, 5];
        await using var group = await PeerGroup.StartAsync(_ray, ranks);
        var inputs = CommunicatorTests.Inputs(ranks, 35).Select(v => v.Select(x => (float)x).ToArray()).ToArray();

        var results = await group.AllAsync(r => group.Peers[r].Task((p, v, l, o) => p.AllReduceFloatTensor(v, l, o, false), inputs[r], lengths, op).Remote());

        var expected = CommunicatorTests.Expected(inputs.Select(v => v.Select(x => (double)x).ToArray()).ToArray(), op);
        foreach (var result in results)
        {
            Assert.Equal(lengths, result.Lengths);
            Assert.Equal(expected, result.Values, (a, b) => Math.Abs(a - b) <= 1e-4);
            Assert.Equal(results[0].Values, result.Values); // the same bits on every rank
            Assert.True(result.SameTensor, "the call returns the tensor it was given");
            Assert.True(result.WrittenInPlace, "the result is in the array the tensor was made over");
        }
    }

    [Theory]
    [InlineData(2, ReduceOp.Sum)]
    [InlineData(4, ReduceOp.Mean)]
    [InlineData(4, ReduceOp.Min)]
    public async Task AllReduce_of_a_3D_double_tensor_gives_every_rank_the_elementwise_reduction(int ranks, ReduceOp op)
    {
        long[] lengths = [2, 3, 4];
        await using var group = await PeerGroup.StartAsync(_ray, ranks);
        var inputs = CommunicatorTests.Inputs(ranks, 24);

        var results = await group.AllAsync(r => group.Peers[r].Task((p, v, l, o) => p.AllReduceDoubleTensor(v, l, o), inputs[r], lengths, op).Remote());

        var expected = CommunicatorTests.Expected(inputs, op);
        Assert.All(results, result =>
        {
            Assert.Equal(lengths, result.Lengths);
            Assert.Equal(expected, result.Values, (a, b) => Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Abs(a)));
            Assert.Equal(results[0].Values, result.Values);
            Assert.True(result.SameTensor && result.WrittenInPlace);
        });
    }

    /// <summary>Length-1 dimensions (a column vector, a [C, 1, 1] bias) get stride 0 in System.Numerics.Tensors; such a
    /// tensor is still dense and reduces in place like any other.</summary>
    [Theory]
    [InlineData(new long[] { 6, 1 })]
    [InlineData(new long[] { 2, 1, 3 })]
    [InlineData(new long[] { 3, 1, 1 })]
    [InlineData(new long[] { 6, 1, 1, 1 })]
    [InlineData(new long[] { 1, 1, 5 })]
    public async Task AllReduce_of_a_tensor_with_length_1_dimensions_gives_every_rank_the_sum(long[] lengths)
    {
        await using var group = await PeerGroup.StartAsync(_ray, 2);
        var inputs = CommunicatorTests.Inputs(2, (int)lengths.Aggregate(1L, (a, b) => a * b));

        var results = await group.AllAsync(r => group.Peers[r].Task((p, v, l, o) => p.AllReduceDoubleTensor(v, l, o), inputs[r], lengths, ReduceOp.Sum).Remote());

        var expected = CommunicatorTests.Expected(inputs, ReduceOp.Sum);
        Assert.All(results, result =>
        {
            Assert.Equal(lengths, result.Lengths);
            Assert.Equal(expected, result.Values, (a, b) => Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Abs(a)));
            Assert.True(result.SameTensor && result.WrittenInPlace);
        });
    }

    [Fact]
    public async Task A_large_tensor_travels_in_several_lanes_through_the_object_store()
    {
        long[] lengths = [2_000, 1_100]; // 8.8 MB of floats per rank: 2 lanes of 2.2 MB chunks, above the inline limit
        await using var group = await PeerGroup.StartAsync(_ray, 2);
        var inputs = Enumerable.Range(0, 2).Select(r => Enumerable.Range(0, 2_200_000).Select(i => (float)((i % 1000) + r)).ToArray()).ToArray();

        var results = await group.AllAsync(r => group.Peers[r].Task((p, v, l) => p.AllReduceFloatTensor(v, l, ReduceOp.Sum, false), inputs[r], lengths).Remote());

        var sent = await group.AllAsync(r => group.Peers[r].Task(p => p.Sent()).Remote());
        Assert.All(sent, s => Assert.Equal(new long[] { 0, 4 }, s)); // 2 lanes × 2 (N-1) ring steps, each by reference
        Assert.All(results, result =>
        {
            Assert.Equal(lengths, result.Lengths);
            for (var i = 0; i < result.Values.Length; i++)
            {
                Assert.Equal((2.0 * (i % 1000)) + 1, result.Values[i]);
            }
        });
    }

    [Fact]
    public async Task Tensors_of_different_shapes_are_refused_on_every_rank_with_a_clear_error()
    {
        await using var group = await PeerGroup.StartAsync(_ray, 4);
        long[][] shapes = [[2, 3], [2, 3], [3, 2], [2, 3]]; // as many elements: only the shape differs
        var calls = Enumerable.Range(0, 4).Select(r => group.Peers[r].Task((p, v, l) => p.AllReduceFloatTensor(v, l, ReduceOp.Sum, false), new float[6], shapes[r]).Remote()).ToArray();

        var errors = new List<string?>();
        foreach (var call in calls)
        {
            var error = await Assert.ThrowsAsync<RayTaskException>(async () => await call);
            Assert.Matches(@"rank [23] passed a tensor of shape \[[23], [23]\] but rank [12] passed a tensor of shape \[[23], [23]\]", error.Message);
            Assert.Contains("every rank must pass a tensor of the same shape", error.Message, StringComparison.Ordinal);
            errors.Add(error.OriginalExceptionType);
        }

        Assert.Contains(typeof(ArgumentException).FullName, errors); // rank 2 or 3 saw the mismatch; the others were aborted
        Assert.Contains(typeof(CollectiveAbortedException).FullName, errors);
    }

    [Fact]
    public async Task A_tensor_that_is_not_dense_is_refused_and_its_peers_are_told()
    {
        await using var group = await PeerGroup.StartAsync(_ray, 2);
        var values = Enumerable.Range(0, 12).Select(i => (float)i).ToArray();
        long[] lengths = [3, 4];

        var view = group.Peers[0].Task((p, v, l) => p.AllReduceFloatTensor(v, l, ReduceOp.Sum, true), values, lengths).Remote();
        var dense = group.Peers[1].Task((p, v, l) => p.AllReduceFloatTensor(v, l, ReduceOp.Sum, false), values, new long[] { 3, 3 }).Remote();

        var refused = await Assert.ThrowsAsync<RayTaskException>(async () => await view);
        Assert.Equal(typeof(ArgumentException).FullName, refused.OriginalExceptionType);
        Assert.Contains("AllReduce needs a dense tensor", refused.Message, StringComparison.Ordinal);
        Assert.Contains("lengths [3, 3] and strides [4, 1]", refused.Message, StringComparison.Ordinal);
        Assert.Contains("ToDenseTensor()", refused.Message, StringComparison.Ordinal);
        var aborted = await Assert.ThrowsAsync<RayTaskException>(async () => await dense);
        Assert.Equal(typeof(CollectiveAbortedException).FullName, aborted.OriginalExceptionType);
        Assert.Contains("AllReduce needs a dense tensor", aborted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_train_loop_allreduces_tensors_through_its_context()
    {
        using var storage = new TempStorage();
        var trainer = new DataParallelTrainer(TrainLoops.Tensors, new ScalingConfig { NumWorkers = 2 }, new RunConfig { StoragePath = storage.Path, Name = "tensors" });

        var result = await trainer.FitAsync(_ray);

        Assert.Equal(1 + 2, result.Metrics["sum_0_0"]);
        Assert.Equal((1 + 5) + (2 + 5), result.Metrics["sum_1_2"]);
        Assert.Equal(10 + 5, result.Metrics["max_1_2"]);
        Assert.Equal((5 + 11) / 2.0, result.Metrics["mean_2_1"]);
        Assert.Equal(1, result.Metrics["same_tensors"]);
    }
}
