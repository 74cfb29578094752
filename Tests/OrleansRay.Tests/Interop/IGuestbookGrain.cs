namespace OrleansRay.Tests.Interop;

/// <summary>An ordinary Orleans grain interface of the application: nothing of OrleansRay in it.</summary>
public interface IGuestbookGrain : IGrainWithStringKey
{
    /// <summary>Adds a signature; returns how many the book has now.</summary>
    Task<int> SignAsync(string who);

    Task<IReadOnlyList<string>> SignaturesAsync();

    /// <summary>The node (silo address, as <c>RayContext.NodeId</c> spells it) this activation lives on.</summary>
    Task<string> NodeAsync();
}
