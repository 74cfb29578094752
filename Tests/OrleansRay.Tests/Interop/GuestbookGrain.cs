using Orleans.Placement;

namespace OrleansRay.Tests.Interop;

/// <summary>Keeps a book's signatures in memory. Placed on the silo of its first caller, so a task calling it from a
/// node activates it there: the test sees that every node hosts the class.</summary>
[PreferLocalPlacement]
public sealed class GuestbookGrain(ILocalSiloDetails silo) : Grain, IGuestbookGrain
{
    private readonly List<string> _signatures = [];

    public Task<int> SignAsync(string who)
    {
        _signatures.Add(who);
        return Task.FromResult(_signatures.Count);
    }

    public Task<IReadOnlyList<string>> SignaturesAsync() => Task.FromResult<IReadOnlyList<string>>(_signatures.ToList());

    public Task<string> NodeAsync() => Task.FromResult(silo.SiloAddress.ToParsableString());
}
