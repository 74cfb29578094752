using OrleansRay.Grains;

namespace OrleansRay.Ownership;

/// <summary>Tells a borrower whether the owner of an object it reads is alive (Ray's borrower asks the GCS before it
/// raises OwnerDiedError): a call to an owner that is busy or briefly out of reach must not lose its objects.</summary>
internal interface IOwnerWatch
{
    /// <summary>The fate of the owner behind <paramref name="owner"/>, as cluster membership last showed it;
    /// <paramref name="where"/> names its node and address when the view knows it ("node ... at ..."), else empty.</summary>
    OwnerFate Check(INodeEndpoint owner, out string where);

    /// <summary>True when the job table lists the job of <paramref name="driver"/> (a driver's worker id) as ended:
    /// finished, failed, stopped, or lost because its driver stopped reporting. A driver's objects die with it (Ray's
    /// OwnerDiedError), and membership, which <see cref="Check"/> reads, knows nothing of drivers. Answers from what
    /// was asked at most about a second before; false for a worker that is no driver, or when the table cannot be asked.</summary>
    ValueTask<bool> HasDriverEndedAsync(WorkerId driver);

    /// <summary>True when an earlier <see cref="HasDriverEndedAsync"/> found <paramref name="driver"/>'s job ended:
    /// answered without asking anyone, so a read of another object of the same dead driver fails at once.</summary>
    bool IsDriverKnownEnded(WorkerId driver);
}
