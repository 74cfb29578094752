using System.Globalization;

namespace OrleansRay.Cluster.TestApp;

/// <summary>The <c>own</c> and <c>read-held</c> verbs: one driver owns an object and hands the ref to a detached actor
/// (a borrower that outlives it); after the test kills that driver, another driver asks the actor for the ref and reads
/// it, as Ray's OwnerDiedError scenario.</summary>
public static class HeldRefs
{
    /// <summary>How long a driver's setup or read may take on a busy machine.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Puts a 1,200,000-byte array (stored in the node's object store, not inline), creates the detached actor
    /// <paramref name="name"/> (a <see cref="RefHolder"/>), gives it the ref and prints "holding NAME object HI16LO16" (the
/// object's id as 32 hex digits).</summary>
    public static async Task OwnAsync(IRay ray, string name)
    {
        ArgumentNullException.ThrowIfNull(ray);
        var value = await ray.PutAsync(new int[300_000]);
        var holder = ray.Actor(() => new RefHolder()).Options(new ActorOptions { Name = name, Lifetime = ActorLifetime.Detached, NumCpus = 0 }).Remote();
        _ = await ray.GetAsync(holder.Task(RefHolderCalls.Hold, new[] { value }).Remote(), Deadline);
        Console.WriteLine($"holding {name} object {value.Id.Hi:x16}{value.Id.Lo:x16}");
        Console.Out.Flush();
    }

    /// <summary>Asks the actor <paramref name="name"/> for the ref it holds and reads it within
    /// <paramref name="readDeadline"/>: prints "read N ints", "lost: MESSAGE" (ObjectLostException) or "not read: TYPE".
    /// Kills the actor afterwards.</summary>
    public static async Task ReadAsync(IRay ray, string name, TimeSpan readDeadline)
    {
        ArgumentNullException.ThrowIfNull(ray);
        var holder = await ray.GetActorAsync<RefHolder>(name);
        var held = await ray.GetAsync(holder.Task(RefHolderCalls.Held).Remote(), Deadline);
        try
        {
            var value = await ray.GetAsync(held[0], readDeadline);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"read {value.Length} ints"));
        }
        catch (ObjectLostException ex)
        {
            Console.WriteLine("lost: " + ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Console.WriteLine("not read: " + ex.GetType().Name);
        }

        await ray.KillAsync(holder);
        Console.Out.Flush();
    }
}

/// <summary>An actor that keeps refs given to it (a borrower of their objects).</summary>
public sealed class RefHolder
{
    private ObjectRef<int[]>[] _refs = [];

    public int Hold(ObjectRef<int[]>[] refs)
    {
        _refs = refs;
        return refs.Length;
    }

    public ObjectRef<int[]>[] Held() => _refs;
}

/// <summary><see cref="RefHolder"/>'s methods as remote actor methods (see <see cref="CounterCalls"/> for why).</summary>
public static class RefHolderCalls
{
    public static int Hold(RefHolder holder, ObjectRef<int[]>[] refs)
    {
        ArgumentNullException.ThrowIfNull(holder);
        return holder.Hold(refs);
    }

    public static ObjectRef<int[]>[] Held(RefHolder holder)
    {
        ArgumentNullException.ThrowIfNull(holder);
        return holder.Held();
    }
}
