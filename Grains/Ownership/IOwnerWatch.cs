using OrleansRay.Grains;

namespace OrleansRay.Ownership;

/// <summary>Tells a borrower whether the owner of an object it reads is alive (Ray's borrower asks the GCS before it
/// raises OwnerDiedError): a call to an owner that is busy or briefly out of reach must not lose its objects.</summary>
internal interface IOwnerWatch
{
    /// <summary>The fate of the owner behind <paramref name="owner"/>, as cluster membership last showed it;
    /// <paramref name="where"/> names its node and address when the view knows it ("node ... at ..."), else empty.</summary>
    OwnerFate Check(INodeEndpoint owner, out string where);
}
