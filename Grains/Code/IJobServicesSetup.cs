using Microsoft.Extensions.DependencyInjection;

namespace OrleansRay.Code;

/// <summary>Adds the services a job's serializer needs from layers that know types the runtime does not (the public
/// API's serialization hooks, e.g. the ObjectRef borrower hooks). Registered in the node's services by the hosting code;
/// each job's serializer services are given to it once, when the job's code loads.</summary>
internal interface IJobServicesSetup
{
    /// <summary>Adds services to a job's serializer provider (which already holds the node runtime).</summary>
    void Configure(IServiceCollection jobServices);
}
