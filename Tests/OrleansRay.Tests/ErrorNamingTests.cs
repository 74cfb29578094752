using OrleansRay.Execution;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Errors name the user's code, not a blank or a neighbour: a result that cannot be serialized names its task
/// or method (and says to stream an iterator), a lambda that may call one method or another is not named after one of
/// them, and a capturing lambda's refusal lists the user's variables, not the compiler's fields.</summary>
[Collection(RayCollection.Name)]
public sealed class ErrorNamingTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;
    private readonly int _offset = 2;

    public ErrorNamingTests(RayFixture fixture) => _ray = fixture.Ray;

    public static PlainPoco ReturnsPlain() => new() { Value = 1 };

    public static int ThrowWith(int x) => throw new InvalidOperationException($"boom {x}");

    /// <summary>An iterator: its result is the compiler's state machine, computed as it is enumerated.</summary>
    public static IEnumerable<int> SyncGen(int n)
    {
        for (var i = 0; i < n; i++)
        {
            yield return i;
        }
    }

    /// <summary>Declared as a sequence, returns a list: one serializable value.</summary>
    public static IEnumerable<int> ListAsSequence(int n) => Enumerable.Range(0, n).ToList();

    /// <summary>Returns a LINQ query, not its items.</summary>
    public static IEnumerable<int> LazyQuery(int n) => Enumerable.Range(0, n).Select(i => i * 2);

    /// <summary>Its own type has a codec; what it holds has none.</summary>
    public static object[] HoldsPlain() => [new PlainPoco()];

    [Fact]
    public async Task A_task_whose_result_cannot_be_serialized_fails_naming_the_function()
    {
        var error = await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.GetAsync(_ray.Task(ReturnsPlain).Remote(), Deadline));

        Assert.Equal("ErrorNamingTests.ReturnsPlain", error.FunctionName);
        Assert.StartsWith("ErrorNamingTests.ReturnsPlain failed with", error.Message, StringComparison.Ordinal);
        Assert.Contains($"its result, a {typeof(PlainPoco).FullName}, cannot be serialized", error.Message, StringComparison.Ordinal);
        // As a node's store refuses such a result: the same exception type wherever the task ran.
        Assert.True(error.Is<ArgumentException>(), error.OriginalExceptionType);
    }

    [Fact]
    public async Task An_actor_method_whose_result_cannot_be_serialized_fails_naming_the_method()
    {
        var actor = _ray.Actor(() => new NamingActor()).Remote();

        var error = await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.GetAsync(actor.Task(a => a.MakePlain()).Remote(), Deadline));

        Assert.Equal("NamingActor.MakePlain", error.FunctionName);
        Assert.Contains(typeof(PlainPoco).FullName!, error.Message, StringComparison.Ordinal);
        Assert.True(error.Is<ArgumentException>(), error.OriginalExceptionType);
        Assert.Equal(1, await _ray.GetAsync(actor.Task(a => a.Increment()).Remote(), Deadline)); // the actor goes on
        await _ray.KillAsync(actor);
    }

    [Fact]
    public async Task A_result_holding_a_value_without_a_codec_fails_with_the_serialization_error_and_no_blank_name()
    {
        // The work is gone by the time the value is read: the message says what failed instead of a blank name.
        var error = await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.GetAsync(_ray.Task(HoldsPlain).Remote(), Deadline));

        Assert.StartsWith("A task or actor call failed with", error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be serialized", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_iterator_is_refused_at_Remote_pointing_at_RemoteGenerator_which_streams_it()
    {
        var error = Assert.Throws<ArgumentException>(() => _ray.Task(SyncGen, 3).Remote());

        Assert.Contains("'SyncGen' is an iterator", error.Message, StringComparison.Ordinal);
        Assert.Contains(".RemoteGenerator()", error.Message, StringComparison.Ordinal);
        var items = new List<int>();
        await foreach (var item in _ray.Task(SyncGen, 3).RemoteGenerator().WithCancellation(CancellationToken.None))
        {
            items.Add(await _ray.GetAsync(item, Deadline));
        }

        Assert.Equal([0, 1, 2], items);
    }

    [Fact]
    public async Task A_collection_returned_as_a_sequence_is_one_value()
    {
        Assert.Equal([0, 1, 2], await _ray.GetAsync(_ray.Task(ListAsSequence, 3).Remote(), Deadline));
    }

    [Fact]
    public async Task A_lazy_query_returned_by_Remote_fails_naming_the_function_and_saying_to_materialize_or_stream_it()
    {
        var error = await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.GetAsync(_ray.Task(LazyQuery, 3).Remote(), Deadline));

        Assert.Equal("ErrorNamingTests.LazyQuery", error.FunctionName);
        Assert.Contains("lazily evaluated sequence", error.Message, StringComparison.Ordinal);
        Assert.Contains(".ToArray()", error.Message, StringComparison.Ordinal);
        Assert.Contains(".RemoteGenerator()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_branching_actor_lambda_is_not_named_after_one_of_its_branches()
    {
        var actors = Enumerable.Range(0, 2).Select(_ => _ray.Actor(() => new NamingActor()).Remote()).ToList();
        var pool = new ActorPool<NamingActor>(actors);

        var error = await Assert.ThrowsAsync<RayTaskException>(async () =>
        {
            await foreach (var _ in pool.MapAsync((c, v) => v == 2 ? c.Throw() : c.Increment(), new[] { 1, 2, 3 }).WithCancellation(CancellationToken.None))
            {
            }
        }).WaitAsync(Deadline);

        Assert.Contains("NamingActor.Throw", error.RemoteStackTrace, StringComparison.Ordinal);
        Assert.DoesNotContain("NamingActor.", error.FunctionName, StringComparison.Ordinal);
        Assert.Equal($"ErrorNamingTests.{nameof(A_branching_actor_lambda_is_not_named_after_one_of_its_branches)}.<lambda>", error.FunctionName);
        foreach (var actor in actors)
        {
            await _ray.KillAsync(actor);
        }
    }

    [Fact]
    public void A_lambda_is_named_after_the_one_method_it_calls_and_only_then()
    {
        Func<NamingActor, int> single = c => c.Increment();
        Func<NamingActor, int, int> withArgument = (c, v) => c.Take(new Box(v));
        Func<NamingActor, int> twiceTheSame = c => c.Add(1) + c.Add(2);
        Func<NamingActor, int, int> branching = (c, v) => v == 2 ? c.Throw() : c.Increment();
        Func<NamingActor, int> inTurn = c =>
        {
            c.Increment();
            return c.Add(2);
        };
        Func<NamingActor, int> chained = c => c.Self().Increment();
        Func<int, int> callsNothing = x => x + 1;
        Func<NamingActor, int> readsAProperty = c => c.Count;
        Func<string> readsTheContext = () => File.ReadAllText(Path.Combine(RayContext.WorkingDirectory!, "data.txt"));

        Assert.Equal("NamingActor.Increment", LambdaNames.Describe(single.Method, "fallback"));
        Assert.Equal("NamingActor.Take", LambdaNames.Describe(withArgument.Method, "fallback"));
        Assert.Equal("NamingActor.Add", LambdaNames.Describe(twiceTheSame.Method, "fallback"));
        // A lambda that calls no one method is named after the method it is written in, as Python's qualified names read.
        const string Written = $"ErrorNamingTests.{nameof(A_lambda_is_named_after_the_one_method_it_calls_and_only_then)}.<lambda>";
        Assert.Equal(Written, LambdaNames.Describe(branching.Method, "fallback"));
        Assert.Equal(Written, LambdaNames.Describe(inTurn.Method, "fallback"));
        Assert.Equal(Written, LambdaNames.Describe(chained.Method, "fallback"));
        Assert.Equal(Written, LambdaNames.Describe(callsNothing.Method, "fallback"));
        Assert.Equal("NamingActor.Count", LambdaNames.Describe(readsAProperty.Method, "fallback")); // not get_Count
        Assert.Equal(Written, LambdaNames.Describe(readsTheContext.Method, "fallback")); // OrleansRay's own API is not what it does
        Assert.Equal("fallback", LambdaNames.Describe(typeof(NamingActor).GetMethod(nameof(NamingActor.Increment))!, "fallback"));

        // The concurrency group still comes from the first method a lambda's IL calls (as before: naming changed only).
        Assert.Equal(typeof(NamingActor).GetMethod(nameof(NamingActor.Increment)), LambdaNames.Target(single.Method));
        Assert.Contains(LambdaNames.Target(branching.Method)?.Name, new[] { nameof(NamingActor.Throw), nameof(NamingActor.Increment) });
    }

    [Fact]
    public void An_async_lambda_is_named_after_the_method_it_awaits_not_its_state_machine()
    {
        Func<AsyncNamingActor, Task<int>> single = async c => await c.IncrementAsync();
        Func<AsyncNamingActor, Task<int>> inTurn = async c =>
        {
            await c.IncrementAsync();
            return await c.SlowAsync();
        };

        Assert.Equal("AsyncNamingActor.IncrementAsync", LambdaNames.Describe(single.Method, "fallback"));
        Assert.Equal($"ErrorNamingTests.{nameof(An_async_lambda_is_named_after_the_method_it_awaits_not_its_state_machine)}.<lambda>", LambdaNames.Describe(inTurn.Method, "fallback"));

        // The concurrency group of an async lambda's call comes from the method it awaits, not from its state machine.
        Assert.Equal(typeof(AsyncNamingActor).GetMethod(nameof(AsyncNamingActor.SlowAsync)), LambdaNames.Target(((Func<AsyncNamingActor, Task<int>>)(async c => await c.SlowAsync())).Method));
    }

    [Fact]
    public async Task An_async_lambda_task_that_fails_names_where_it_is_written()
    {
        var error = await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.GetAsync(
            _ray.Task(async (int x) => await Ray.Current.Task(ThrowWith, x).Remote(), 3).Remote(), Deadline));

        Assert.Equal("ErrorNamingTests.ThrowWith", error.FunctionName);
        Assert.EndsWith($"(rethrown by ErrorNamingTests.{nameof(An_async_lambda_task_that_fails_names_where_it_is_written)}.<lambda>)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_capturing_lambda_is_refused_naming_the_users_variables_not_the_compilers_fields()
    {
        var ray = _ray;
        int captured = 7;
        Func<int> usesRay = () => ray.GetHashCode(); // shares the closure: the compiler keeps one class per scope
        Func<int> cached = () => usesRay() + 1;

        var error = Assert.Throws<ArgumentException>(() => ray.Task((int x) => x + captured, 1).Remote());

        Assert.Contains("captures (or shares a closure with a lambda that captures)", error.Message, StringComparison.Ordinal);
        Assert.Contains("'captured'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'ray'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("<", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", error.Message, StringComparison.Ordinal);
        Assert.Equal(cached(), usesRay() + 1);
    }

    [Fact]
    public void A_capturing_lambda_names_this_and_the_variables_of_enclosing_scopes()
    {
        var outer = 3;
        for (var i = 0; i < 1; i++)
        {
            var inner = i;
            var error = Assert.Throws<ArgumentException>(() => _ray.Task((int x) => x + outer + inner + _offset, 1).Remote());

            Assert.Contains("'outer'", error.Message, StringComparison.Ordinal);
            Assert.Contains("'inner'", error.Message, StringComparison.Ordinal);
            Assert.Contains("'this'", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("<", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("CS$", error.Message, StringComparison.Ordinal);
        }
    }
}

/// <summary>A class Orleans has no codec for (no [GenerateSerializer]).</summary>
public sealed class PlainPoco
{
    public int Value { get; set; }
}

/// <summary>An argument made inside a lambda.</summary>
[GenerateSerializer]
public sealed record Box([property: Id(0)] int Value);

/// <summary>An actor whose methods the naming tests call.</summary>
public sealed class AsyncNamingActor
{
    private int _n;

    public async Task<int> IncrementAsync()
    {
        await Task.Yield();
        return ++_n;
    }

    [ConcurrencyGroup("slow")]
    public async Task<int> SlowAsync()
    {
        await Task.Yield();
        return _n;
    }
}

public sealed class NamingActor
{
    private int _n;

    public int Increment() => ++_n;

    public int Count => _n;

    public int Add(int k) => _n += k;

    public int Take(Box box) => _n += box.Value;

    public NamingActor Self() => this;

    public PlainPoco MakePlain() => new() { Value = _n };

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public int Throw() => throw new InvalidOperationException("boom");
}
