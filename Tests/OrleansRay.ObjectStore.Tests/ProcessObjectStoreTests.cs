namespace OrleansRay.ObjectStore.Tests;

/// <summary>The contract, against orleansray-store running as a child process, with clients over its Unix socket.</summary>
public sealed class ProcessObjectStoreTests : ObjectStoreContractTests
{
    private protected override Task<TestStore> StartStoreAsync(long capacity, Action<Hosting.ObjectStoreOptions>? configure = null) =>
        TestStore.StartProcessAsync(capacity, configure);
}
