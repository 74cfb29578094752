using OrleansRay.ObjectStore;
using OrleansRay.Ownership;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>What a reader is told when the node holding an object's copy cannot give it: a reviewer's task got the
/// store's own advice ("Retry from another copy"), which no user can follow, and nothing on whether the object can come
/// back.</summary>
public sealed class StoredObjectLossMessageTests
{
    [Fact]
    public void A_failed_pull_names_the_node_and_says_when_the_object_comes_back_without_the_stores_retry_advice()
    {
        var stored = new StoredObject { Id = ObjectId.NewId(), Node = "127.0.0.1:44011@1", Store = "127.0.0.1:44013" };
        var cause = new ObjectTransferException($"Pulling object x from the store at 127.0.0.1:44013 failed: Connection refused.{ObjectTransferException.RetryAdvice}");

        var message = StoredValues.Lost(stored, cause).Error.Message;

        Assert.StartsWith($"Object {stored.Id} is stored on node 127.0.0.1:44011@1 (store 127.0.0.1:44013), which could not give it: Pulling object x", message, StringComparison.Ordinal);
        Assert.Contains("Connection refused.", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Retry from another copy", message, StringComparison.Ordinal);
        Assert.Contains("rebuilt only by a live owner", message, StringComparison.Ordinal);
    }
}
