using OrleansRay.Execution;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Execution;

/// <summary>Argument arrays are reused per thread (<see cref="ArgumentArrays"/>): a returned array comes back cleared, one
/// in use is never handed out twice, and calls running at once on the node's threads each see their own arguments, in
/// synchronous and asynchronous code alike.</summary>
public sealed class ArgumentArraysTests
{
    [Fact]
    public void No_arguments_take_the_shared_empty_array()
    {
        Assert.Same(Array.Empty<object?>(), ArgumentArrays.Rent(0));
    }

    [Fact]
    public void A_returned_array_comes_back_cleared_and_keeps_nothing_alive()
    {
        var args = ArgumentArrays.Rent(2);
        args[0] = "held";
        args[1] = 42;

        ArgumentArrays.Return(args);
        var again = ArgumentArrays.Rent(2);

        Assert.Same(args, again);
        Assert.All(again, value => Assert.Null(value));
        ArgumentArrays.Return(again);
    }

    [Fact]
    public void An_array_in_use_is_not_rented_again_by_a_nested_call()
    {
        var outer = ArgumentArrays.Rent(3);
        var nested = ArgumentArrays.Rent(3);

        Assert.NotSame(outer, nested);
        ArgumentArrays.Return(nested);
        ArgumentArrays.Return(outer);
        Assert.Same(outer, ArgumentArrays.Rent(3)); // the last one returned is the thread's spare
    }

    [Fact]
    public void Long_argument_lists_get_arrays_of_their_own()
    {
        var args = ArgumentArrays.Rent(9);
        Assert.Equal(9, args.Length);

        ArgumentArrays.Return(args);

        Assert.NotSame(args, ArgumentArrays.Rent(9));
    }
}

/// <summary>On a node: tasks and actor calls running at once, with arguments, each see their own.</summary>
[Collection(RayCollection.Name)]
public sealed class ReusedArgumentArraysOnANodeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly IRay _ray;

    public ReusedArgumentArraysOnANodeTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task Calls_running_at_once_each_see_their_own_arguments()
    {
        var actors = Enumerable.Range(0, 4).Select(_ => _ray.Actor(() => new Joiner()).Remote()).ToArray();
        var expected = new List<(string Expected, ObjectRef<string> Result)>();
        for (var i = 0; i < 1_500; i++)
        {
            var actor = actors[i % actors.Length];
            expected.Add(($"{i}:{-i}", actor.Task(static (a, x, y) => a.Join(x, y), i, -i).Remote()));
            expected.Add(($"{i}:later:{i * 2}", actor.Task(static (a, x, y) => a.JoinLaterAsync(x, y), i, i * 2).Remote()));
            expected.Add(($"{i}/{i + 1}/{i + 2}", _ray.Task(Joiner.JoinThree, i, i + 1, i + 2).Remote()));
        }

        var results = await _ray.GetAsync(expected.Select(e => e.Result).ToArray()).WaitAsync(Deadline);

        Assert.Equal(expected.Select(e => e.Expected), results);
    }

    public sealed class Joiner
    {
        public string Join(int x, int y) => $"{x}:{y}";

        public async Task<string> JoinLaterAsync(int x, int y)
        {
            await Task.Yield(); // the next call reuses the array while this one waits
            return $"{x}:later:{y}";
        }

        public static string JoinThree(int a, int b, int c) => $"{a}/{b}/{c}";
    }
}
