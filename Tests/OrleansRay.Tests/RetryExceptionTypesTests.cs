using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Ray's <c>retry_exceptions=[ValueError]</c>: <see cref="TaskOptions.RetryExceptionTypes"/> retries a task
/// only when it threw one of the listed types or a type deriving from one; any other exception fails it at once. Each
/// test counts its attempts under a key of its own (<see cref="Counters"/>).</summary>
[Collection(RayCollection.Name)]
public sealed class RetryExceptionTypesTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public RetryExceptionTypesTests(RayFixture fixture) => _ray = fixture.Ray;

    /// <summary>A failure that derives from <see cref="IOException"/>.</summary>
    public sealed class TransientIOException(string message) : IOException(message);

    /// <summary>Throws a <see cref="TransientIOException"/> on its first two attempts, then returns the attempt number.</summary>
    public static int FailTwiceWithSubclass(string key)
    {
        var n = Counters.Increment(key);
        return n <= 2 ? throw new TransientIOException($"transient failure {n}") : n;
    }

    /// <summary>Awaits <see cref="TestFunctions.FailTwiceThenSucceed"/> run once (no retries of its own), so its
    /// <see cref="IOException"/> reaches this task as a <see cref="RayTaskException"/> it lets go; counts its own attempts.</summary>
    public static async Task<int> AwaitsFailingTask(string key)
    {
        Counters.Increment(key + ":outer");
        return await Ray.Current.Task(TestFunctions.FailTwiceThenSucceed, key).Options(new TaskOptions { MaxRetries = 0 }).Remote();
    }

    [Fact]
    public async Task A_task_throwing_a_listed_type_is_retried_until_it_succeeds()
    {
        var key = Guid.NewGuid().ToString();
        var options = new TaskOptions { MaxRetries = 3, RetryExceptionTypes = { typeof(TimeoutException), typeof(IOException) } };

        var r = _ray.Task(TestFunctions.FailTwiceThenSucceed, key).Options(options).Remote();

        Assert.Equal(3, await _ray.GetAsync(r, Deadline));
        Assert.Equal(3, Counters.Get(key));
    }

    [Fact]
    public async Task A_task_throwing_an_unlisted_type_fails_after_one_attempt()
    {
        var key = Guid.NewGuid().ToString();
        var options = new TaskOptions { MaxRetries = 3, RetryExceptionTypes = { typeof(TimeoutException), typeof(FileNotFoundException) } };

        var r = _ray.Task(TestFunctions.FailTwiceThenSucceed, key).Options(options).Remote();

        var ex = await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.GetAsync(r, Deadline));
        Assert.Equal(typeof(IOException).FullName, ex.OriginalExceptionType); // IOException is FileNotFoundException's base, not its subclass
        Assert.Contains("transient failure 1", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, Counters.Get(key));
    }

    [Fact]
    public async Task A_subclass_of_a_listed_type_is_retried()
    {
        var key = Guid.NewGuid().ToString();
        var options = new TaskOptions { MaxRetries = 3, RetryExceptionTypes = { typeof(IOException) } };

        var r = _ray.Task(FailTwiceWithSubclass, key).Options(options).Remote();

        Assert.Equal(3, await _ray.GetAsync(r, Deadline));
        Assert.Equal(3, Counters.Get(key));
    }

    [Fact]
    public async Task Retries_of_a_listed_type_stop_at_MaxRetries_and_the_last_error_surfaces()
    {
        var key = Guid.NewGuid().ToString();
        var options = new TaskOptions { MaxRetries = 1, RetryExceptionTypes = { typeof(IOException) } };

        var r = _ray.Task(TestFunctions.FailTwiceThenSucceed, key).Options(options).Remote();

        var ex = await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.GetAsync(r, Deadline));
        Assert.Contains("transient failure 2", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, Counters.Get(key));
    }

    [Fact]
    public async Task A_failure_rethrown_from_an_awaited_task_matches_by_the_type_it_was_thrown_as()
    {
        var key = Guid.NewGuid().ToString();
        var options = new TaskOptions { MaxRetries = 3, RetryExceptionTypes = { typeof(IOException) } };

        var r = _ray.Task(AwaitsFailingTask, key).Options(options).Remote();

        Assert.Equal(3, await _ray.GetAsync(r, Deadline));
        Assert.Equal(3, Counters.Get(key + ":outer")); // as Ray's RayTaskError(IOError) is an instance of IOError
    }

    [Fact]
    public void RetryExceptions_true_with_listed_types_is_refused_at_Remote()
    {
        var key = Guid.NewGuid().ToString();
        var options = new TaskOptions { RetryExceptions = true, RetryExceptionTypes = { typeof(IOException) } };

        var ex = Assert.Throws<ArgumentException>(() => _ray.Task(TestFunctions.FailTwiceThenSucceed, key).Options(options).Remote());

        Assert.Equal(nameof(TaskOptions.RetryExceptionTypes), ex.ParamName);
        Assert.Contains("give one of them", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, Counters.Get(key)); // nothing was submitted
    }

    [Fact]
    public void A_listed_type_that_is_not_an_exception_is_refused_at_Remote()
    {
        var key = Guid.NewGuid().ToString();

        var notException = Assert.Throws<ArgumentException>(() => _ray.Task(TestFunctions.FailTwiceThenSucceed, key)
            .Options(new TaskOptions { RetryExceptionTypes = { typeof(IOException), typeof(string) } }).Remote());
        var nullType = Assert.Throws<ArgumentException>(() => _ray.Task(TestFunctions.FailTwiceThenSucceed, key)
            .Options(new TaskOptions { RetryExceptionTypes = { null! } }).Remote());

        Assert.Contains("System.String, which is not an exception type", notException.Message, StringComparison.Ordinal);
        Assert.Equal(nameof(TaskOptions.RetryExceptionTypes), notException.ParamName);
        Assert.Contains("holds null", nullType.Message, StringComparison.Ordinal);
        Assert.Equal(0, Counters.Get(key));
    }

    [Fact]
    public void A_generator_task_is_validated_the_same_way()
    {
        var options = new TaskOptions { RetryExceptions = true, RetryExceptionTypes = { typeof(IOException) } };

        var ex = Assert.Throws<ArgumentException>(() => _ray.Task(Generators.GeneratorFunctions.Squares, 3).Options(options).RemoteGenerator());

        Assert.Contains("give one of them", ex.Message, StringComparison.Ordinal);
    }
}
