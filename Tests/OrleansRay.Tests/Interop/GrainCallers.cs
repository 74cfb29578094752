namespace OrleansRay.Tests.Interop;

/// <summary>Tasks and an actor class that call ordinary grains through <see cref="Ray.Current"/>'s grain factory.</summary>
public static class GrainCallers
{
    /// <summary>Signs <paramref name="book"/> from a task; returns "node|count|grain's node".</summary>
    public static async Task<string> SignFromTask(string book, string who)
    {
        var grain = Ray.Current.GrainFactory.GetGrain<IGuestbookGrain>(book);
        var count = await grain.SignAsync(who);
        return $"{RayContext.NodeId.Value}|{count}|{await grain.NodeAsync()}";
    }

    /// <summary>Signs through a grain reference the caller passed in as the task's argument.</summary>
    public static Task<int> SignThroughReference(IGuestbookGrain book, string who) => book.SignAsync(who);

    /// <summary>Visits a page of the hosting application's own counter grain.</summary>
    public static Task<int> Visit(string page) => Ray.Current.GrainFactory.GetGrain<Hosting.IVisitCounterGrain>(page).VisitAsync();

    /// <summary>Calls a grain whose class no node has.</summary>
    public static Task<int> PingUnhosted(string key) => Ray.Current.GrainFactory.GetGrain<IUnhostedGrain>(key).PingAsync();
}

/// <summary>A class actor that signs guest books: its methods reach grains as a task does.</summary>
public sealed class Clerk
{
    private int _signed;

    public async Task<int> Sign(string book, string who)
    {
        _signed++;
        return await Ray.Current.GrainFactory.GetGrain<IGuestbookGrain>(book).SignAsync(who);
    }

    /// <summary>Signs through a grain reference the actor was created with.</summary>
    public Task<int> SignHeld(IGuestbookGrain book) => book.SignAsync("clerk #" + (++_signed));

    public Task<int> Visit(string page) => GrainCallers.Visit(page);

    public int Signed() => _signed;
}
