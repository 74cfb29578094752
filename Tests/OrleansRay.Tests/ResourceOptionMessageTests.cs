using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using OrleansRay.TestGrainActors;
using Xunit;
using static OrleansRay.Tests.Functions.TestFunctions;

namespace OrleansRay.Tests;

/// <summary>A bad custom resource in TaskOptions or ActorOptions is refused with one message that names the option
/// ("Resources"), not a message that repeats its parameter suffix with an inner exception saying it again.</summary>
[Collection(RayCollection.Name)]
public sealed class ResourceOptionMessageTests
{
    private readonly IRay _ray;

    public ResourceOptionMessageTests(RayFixture fixture) => _ray = fixture.Ray;

    [Theory]
    [InlineData(double.NaN, "is NaN")]
    [InlineData(-1.0, "is -1")]
    [InlineData(double.PositiveInfinity, "is Infinity")]
    public void A_bad_custom_resource_amount_is_one_clean_message_naming_Resources(double amount, string says)
    {
        var task = Assert.Throws<ArgumentException>(() => _ray.Task(Square, 1).Options(new TaskOptions { Resources = { ["accel"] = amount } }).Remote());
        AssertClean(task, $"TaskOptions.Resources[\"accel\"] {says}");

        var actor = Assert.Throws<ArgumentException>(() => _ray.Actor(() => new Counter(0)).Options(new ActorOptions { Resources = { ["accel"] = amount } }).Remote());
        AssertClean(actor, $"ActorOptions.Resources[\"accel\"] {says}");
    }

    [Fact]
    public async Task A_blank_or_reserved_custom_resource_name_is_one_clean_message_naming_Resources()
    {
        var blank = Assert.Throws<ArgumentException>(() => _ray.Task(Square, 1).Options(new TaskOptions { Resources = { [" "] = 1 } }).Remote());
        AssertClean(blank, "TaskOptions.Resources has an empty resource name");
        var blankActor = Assert.Throws<ArgumentException>(() => _ray.Actor(() => new Counter(0)).Options(new ActorOptions { Resources = { [""] = 1 } }).Remote());
        AssertClean(blankActor, "ActorOptions.Resources has an empty resource name");
        var grain = await Assert.ThrowsAsync<ArgumentException>(() => _ray.CreateActorAsync<ICounterActor>(new ActorOptions { Resources = { ["accel"] = double.NaN } }));
        AssertClean(grain, "ActorOptions.Resources[\"accel\"] is NaN");

        var reserved = Assert.Throws<ArgumentException>(() => _ray.Task(Square, 1).Options(new TaskOptions { Resources = { ["memory"] = 1 } }).Remote());
        AssertClean(reserved, "TaskOptions.Resources[\"memory\"]: use TaskOptions.Memory for memory.");
        var gpu = Assert.Throws<ArgumentException>(() => _ray.Actor(() => new Counter(0)).Options(new ActorOptions { Resources = { ["GPU"] = 1 } }).Remote());
        AssertClean(gpu, "ActorOptions.Resources[\"GPU\"]: use ActorOptions.NumGpus for GPU.");
    }

    private static void AssertClean(ArgumentException thrown, string expectedStart)
    {
        Assert.Equal("Resources", thrown.ParamName);
        Assert.StartsWith(expectedStart, thrown.Message, StringComparison.Ordinal);
        Assert.Null(thrown.InnerException);
        var suffixes = thrown.Message.Split("(Parameter ").Length - 1;
        Assert.True(suffixes == 1, $"the parameter is named {suffixes} times: {thrown.Message}");
        Assert.DoesNotContain("'items'", thrown.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'custom'", thrown.Message, StringComparison.Ordinal);
    }
}
