using OrleansRay.Grains;

namespace OrleansRay.Ownership;

/// <summary>The owner of a borrowed object (Ray's owner address): the endpoint it is read through, and the owner's
/// worker id, by which the job table tells whether a driver owner's job has ended.</summary>
/// <param name="Endpoint">The owner process's endpoint.</param>
/// <param name="Worker">The owner's worker id (a driver's is its job's <see cref="JobInfo.Driver"/>).</param>
internal sealed record BorrowedOwner(INodeEndpoint Endpoint, WorkerId Worker);
