using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using OrleansRay.Tests.Fixtures;
using Xunit;
using static OrleansRay.Tests.Functions.TestFunctions;

namespace OrleansRay.Tests;

[Collection(RayCollection.Name)]
public sealed class ErrorTests
{
    private readonly IRay _ray;

    public ErrorTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task RayTaskException_names_the_function_the_original_type_message_and_stack()
    {
        var ex = await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.Task(Throw, 7).Remote());
        Assert.Contains("TestFunctions.Throw", ex.Message);
        Assert.Contains("bad input 7", ex.Message);
        Assert.Equal("TestFunctions.Throw", ex.FunctionName);
        Assert.Equal(typeof(InvalidOperationException).FullName, ex.OriginalExceptionType);
        Assert.Contains(nameof(Throw), ex.RemoteStackTrace);
        Assert.IsType<InvalidOperationException>(ex.InnerException);
        Assert.IsAssignableFrom<RayException>(ex);
    }

    [Fact]
    public async Task Is_tells_the_original_exceptions_type_and_base_types_as_Rays_error_is_an_instance_of_the_users_class()
    {
        var ex = await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.Task(ThrowArgumentNull, "input").Remote());
        Assert.True(ex.Is<ArgumentNullException>());
        Assert.True(ex.Is<ArgumentException>());
        Assert.True(ex.Is(typeof(Exception)));
        Assert.False(ex.Is<InvalidOperationException>());
        Assert.Equal(["System.ArgumentNullException", "System.ArgumentException", "System.SystemException", "System.Exception"], ex.OriginalExceptionTypes);
    }

    public static int ThrowArgumentNull(string name) => throw new ArgumentNullException(name);

    [Fact]
    public async Task Exceptions_thrown_after_an_await_are_captured_the_same_way()
    {
        var ex = await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.Task(ThrowAsync, 3).Remote());
        Assert.Equal(typeof(FormatException).FullName, ex.OriginalExceptionType);
        Assert.Contains("async bad input 3", ex.Message);
    }

    [Fact]
    public async Task A_user_exception_without_a_codec_still_arrives_with_its_type_name_and_message()
    {
        var ex = await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.Task(ThrowCustom, 1).Remote());
        Assert.Equal(typeof(Functions.UnserializableTestException).FullName, ex.OriginalExceptionType);
        Assert.Contains("custom 1", ex.Message);
    }

    [Fact]
    public void Every_public_exception_derives_from_RayException()
    {
        var types = typeof(RayException).Assembly.GetExportedTypes().Where(t => typeof(Exception).IsAssignableFrom(t)).ToList();
        Assert.Contains(typeof(GetTimeoutException), types);
        Assert.All(types, t => Assert.True(typeof(RayException).IsAssignableFrom(t), $"{t.Name} derives from RayException"));
        foreach (var t in new[] { typeof(RayTaskException), typeof(GetTimeoutException), typeof(TaskCancelledException), typeof(ActorDiedException), typeof(ActorNotFoundException), typeof(ObjectLostException), typeof(NodeDiedException) })
        {
            Assert.Contains(t, types);
        }
    }

    [Fact]
    public async Task Exceptions_round_trip_through_the_Orleans_serializer_as_between_silos()
    {
        var serializer = new ServiceCollection()
            .AddSerializer(b => b.AddAssembly(typeof(RayException).Assembly))
            .BuildServiceProvider()
            .GetRequiredService<Serializer>();

        var original = await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.Task(Throw, 5).Remote());
        var copy = serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(original));
        var task = Assert.IsType<RayTaskException>(copy);
        Assert.Equal(original.FunctionName, task.FunctionName);
        Assert.Equal(original.OriginalExceptionType, task.OriginalExceptionType);
        Assert.Equal(original.RemoteStackTrace, task.RemoteStackTrace);
        Assert.Equal(original.Message, task.Message);

        Exception[] others =
        {
            new GetTimeoutException(TimeSpan.FromSeconds(2), "x"), new TaskCancelledException("c"), new ActorDiedException("d"),
            new ActorNotFoundException("n"), new ObjectLostException("l"), new NodeDiedException("nd"),
            new PlacementGroupNotFoundException("pg"),
        };
        foreach (var e in others)
        {
            var back = serializer.Deserialize<Exception>(serializer.SerializeToArray(e));
            Assert.IsType(e.GetType(), back);
            Assert.Equal(e.Message, back.Message);
        }

        var timeout = (GetTimeoutException?)serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(others[0]));
        Assert.Equal(TimeSpan.FromSeconds(2), timeout!.Timeout);
    }

    [Fact]
    public async Task A_failure_rethrown_inside_a_task_keeps_its_original_kind()
    {
        var ex = await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.Task(RethrowFailure).Remote());
        Assert.Equal("TestFunctions.Throw", ex.FunctionName);
    }

    [Fact]
    public async Task A_failure_rethrown_inside_a_task_names_that_task_too_keeping_the_thrower_and_its_type()
    {
        var ex = await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.Task(RethrowFailure).Remote());

        Assert.Equal("TestFunctions.Throw", ex.FunctionName);
        Assert.Equal(typeof(InvalidOperationException).FullName, ex.OriginalExceptionType);
        Assert.Equal("bad input 1", ex.OriginalMessage);
        Assert.IsType<InvalidOperationException>(ex.InnerException); // same process: the original is kept
        Assert.StartsWith("TestFunctions.Throw failed with System.InvalidOperationException: bad input 1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(rethrown by ErrorTests.RethrowFailure)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--- rethrown by ErrorTests.RethrowFailure ---", ex.RemoteStackTrace, StringComparison.Ordinal);
        Assert.Contains(nameof(RethrowFailure), ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemoteStackTrace_carries_the_inner_exceptions_of_the_original()
    {
        var ex = await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.Task(ThrowWithInner).Remote());

        Assert.Equal(typeof(InvalidOperationException).FullName, ex.OriginalExceptionType);
        Assert.Contains("System.InvalidOperationException: outer", ex.RemoteStackTrace, StringComparison.Ordinal);
        Assert.Contains("---> System.FormatException: inner cause", ex.RemoteStackTrace, StringComparison.Ordinal);
        Assert.Contains(nameof(ThrowWithInner), ex.RemoteStackTrace, StringComparison.Ordinal);
        Assert.Contains("---> System.FormatException: inner cause", ex.ToString(), StringComparison.Ordinal);
    }

    private static int ThrowWithInner()
    {
        try
        {
            throw new FormatException("inner cause");
        }
        catch (FormatException inner)
        {
            throw new InvalidOperationException("outer", inner);
        }
    }

    private static async Task<int> RethrowFailure()
    {
        var ray = Ray.Current;
        return await ray.Task(Throw, 1).Remote();
    }
}
