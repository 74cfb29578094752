using System.Collections.Concurrent;
using OrleansRay.ObjectStore.Hosting;
using OrleansRay.ObjectStore.Security;
using OrleansRay.ObjectStore.Transfer;
using Xunit;

namespace OrleansRay.ObjectStore.Tests;

/// <summary>Tests that set <see cref="ClusterCredentials.TokenVariable"/> in this process' environment: run alone, so
/// no other test's child process inherits it.</summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;

/// <summary>A store process started without credentials (a node started with --insecure) runs plain even when its
/// parent's environment holds a token: the variable is removed from the child's.</summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class InheritedTokenTests
{
    [Fact]
    public async Task A_store_process_without_credentials_ignores_a_token_in_its_parents_environment()
    {
        var previous = Environment.GetEnvironmentVariable(ClusterCredentials.TokenVariable);
        var token = ClusterCredentials.NewToken();
        ObjectStoreProcess store;
        Environment.SetEnvironmentVariable(ClusterCredentials.TokenVariable, token);
        try
        {
            store = await ObjectStoreProcess.StartAsync(TransferSecurityTests.ProcessOptions(credentials: null, new ConcurrentQueue<string>()));
        }
        finally
        {
            Environment.SetEnvironmentVariable(ClusterCredentials.TokenVariable, previous);
        }

        await using (store)
        {
            await using var client = await store.ConnectAsync();
            var id = StoreObjectId.NewId();
            var data = Patterns.Create(10_000, 3);
            await client.PutAsync(id, data);

            // Plain: a fetch without credentials is served; one with the inherited token's is not.
            Assert.True((await ObjectTransfer.FetchAsync(id, store.TransferEndPoint!, TimeSpan.FromSeconds(30), credentials: null)).AsSpan().SequenceEqual(data));
            using var credentials = ClusterCredentials.FromToken(token);
            await Assert.ThrowsAsync<ObjectTransferException>(() => ObjectTransfer.FetchAsync(id, store.TransferEndPoint!, TimeSpan.FromSeconds(30), credentials));
        }
    }
}
