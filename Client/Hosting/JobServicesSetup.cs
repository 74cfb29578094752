using Microsoft.Extensions.DependencyInjection;
using OrleansRay.Code;

namespace OrleansRay.Hosting;

/// <summary>Gives each job's serializer on a node the public API's serialization hooks: a ref inside a job's value
/// registers as a borrower (or a local handle) with the node's runtime, as it does in the node's own serializer.</summary>
internal sealed class JobServicesSetup : IJobServicesSetup
{
    public void Configure(IServiceCollection jobServices) => jobServices.AddSingleton<ObjectRefSerializationHooks>();
}
