namespace OrleansRay.ObjectStore.Tests;

/// <summary>The contract, against a store embedded in the test process with in-process clients.</summary>
public sealed class EmbeddedObjectStoreTests : ObjectStoreContractTests
{
    private protected override Task<TestStore> StartStoreAsync(long capacity, Action<Hosting.ObjectStoreOptions>? configure = null) =>
        TestStore.StartEmbeddedAsync(capacity, configure);
}
