using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Actor names stay unique when actors are created from tasks, where a name's new holder may not have reached
/// its node before the next creation of that name asks; and Ray's <c>get_if_exists</c>
/// (<see cref="ActorOptions.GetIfExists"/>) gets or creates atomically.</summary>
[Collection(RayCollection.Name)]
public sealed class NamedActorCreationTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private const string Refused = "refused";
    private readonly IRay _ray;

    public NamedActorCreationTests(RayFixture fixture) => _ray = fixture.Ray;

    /// <summary>A task: creates a counter named <paramref name="name"/>, then a second one of the same name; says
    /// whether the second was refused.</summary>
    public static string CreateTwice(string name)
    {
        var ray = Ray.Current;
        ray.Actor(() => new Counter(0)).Options(new ActorOptions { Name = name }).Remote();
        try
        {
            ray.Actor(() => new Counter(0)).Options(new ActorOptions { Name = name }).Remote();
            return "accepted";
        }
        catch (ArgumentException)
        {
            return Refused;
        }
    }

    /// <summary>A task: creates a counter named <paramref name="name"/>; its actor id, or <see cref="Refused"/>.</summary>
    public static string Claim(string name)
    {
        try
        {
            return Ray.Current.Actor(() => new Counter(0)).Options(new ActorOptions { Name = name }).Remote().ActorId.ToString();
        }
        catch (ArgumentException)
        {
            return Refused;
        }
    }

    /// <summary>A task: gets or creates the counter named <paramref name="name"/> and increments it; the actor's id and
    /// the count it answered.</summary>
    public static async Task<string> GetOrCreateAndIncrement(string name)
    {
        var counter = Ray.Current.Actor(() => new Counter(0)).Options(new ActorOptions { Name = name, GetIfExists = true }).Remote();
        var count = await counter.Task(c => c.Increment()).Remote();
        return counter.ActorId + " " + count;
    }

    [Fact]
    public async Task A_task_creating_a_name_twice_in_a_row_is_refused_the_second_time()
    {
        var names = Enumerable.Range(0, 5).Select(i => $"twice-{i}-{Guid.NewGuid():N}").ToArray();
        try
        {
            var answers = await _ray.GetAsync(names.Select(n => _ray.Task(CreateTwice, n).Remote()), Deadline);
            Assert.All(answers, a => Assert.Equal(Refused, a));
        }
        finally
        {
            await KillAllAsync(names);
        }
    }

    [Fact]
    public async Task Of_ten_tasks_creating_one_name_at_once_exactly_one_gets_it()
    {
        var name = "raced-" + Guid.NewGuid().ToString("N");
        try
        {
            var answers = await _ray.GetAsync(Enumerable.Range(0, 10).Select(_ => _ray.Task(Claim, name).Remote()), Deadline);
            var winner = Assert.Single(answers, a => a != Refused);
            Assert.Equal(winner, (await _ray.GetActorAsync<Counter>(name)).ActorId.ToString());
            var listed = await _ray.State.ListActorsAsync(StateListOptions.Where("name=" + name));
            Assert.Equal([winner], listed.Rows.Select(r => r.ActorId));
        }
        finally
        {
            await KillAllAsync([name]);
        }
    }

    [Fact]
    public async Task GetIfExists_from_ten_tasks_at_once_gives_them_all_one_actor()
    {
        var name = "shared-" + Guid.NewGuid().ToString("N");
        try
        {
            var answers = await _ray.GetAsync(Enumerable.Range(0, 10).Select(_ => _ray.Task(GetOrCreateAndIncrement, name).Remote()), Deadline);
            var parts = answers.Select(a => a.Split(' ')).ToArray();
            Assert.Single(parts.Select(p => p[0]).Distinct());
            Assert.Equal(Enumerable.Range(1, 10), parts.Select(p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)).Order());

            // From the driver too: the existing actor, with its state.
            var same = _ray.Actor(() => new Counter(100)).Options(new ActorOptions { Name = name, GetIfExists = true }).Remote();
            Assert.Equal(parts[0][0], same.ActorId.ToString());
            Assert.Equal(11, await same.Task(c => c.Increment()).Remote());
        }
        finally
        {
            await KillAllAsync([name]);
        }
    }

    [Fact]
    public async Task GetIfExists_refuses_an_actor_of_another_class_and_needs_a_name()
    {
        var name = "typed-" + Guid.NewGuid().ToString("N");
        try
        {
            var counter = _ray.Actor(() => new Counter(0)).Options(new ActorOptions { Name = name }).Remote();
            Assert.Equal(1, await counter.Task(c => c.Increment()).Remote());
            var other = Assert.Throws<ArgumentException>(() => _ray.Actor(() => new Recorder()).Options(new ActorOptions { Name = name, GetIfExists = true }).Remote());
            Assert.Contains($"is of type {typeof(Counter).FullName}, not {typeof(Recorder).FullName}", other.Message, StringComparison.Ordinal);

            var unnamed = Assert.Throws<ArgumentException>(() => _ray.Actor(() => new Counter(0)).Options(new ActorOptions { GetIfExists = true }).Remote());
            Assert.Contains("GetIfExists needs a Name", unnamed.Message, StringComparison.Ordinal);
        }
        finally
        {
            await KillAllAsync([name]);
        }
    }

    private async Task KillAllAsync(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            try
            {
                await _ray.KillAsync(await _ray.GetActorAsync<Counter>(name));
            }
            catch (ActorNotFoundException)
            {
                // never created, or gone already
            }
        }
    }
}
