using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace OrleansRay.Hosting;

/// <summary>Lets an application's own exception types cross processes in Orleans calls, as Ray lets any exception of a
/// remote method reach its caller.</summary>
/// <remarks>Orleans writes an exception of a type without a codec of its own (no <c>[GenerateSerializer]</c>) only when
/// its namespace starts with "Microsoft", "System" or "Azure"; any other fails the response with a
/// <c>CodecNotFoundException</c>, and the caller of an actor behind a grain interface got that instead of the method's
/// error, on a cluster only (an embedded call serializes nothing). With this every exception type goes through Orleans'
/// exception codec: its type name, message, stack, inner exception, HResult and <c>Data</c>; the reader rebuilds the
/// type when it has it, else Orleans' fallback exception keeps the type name and message. Nodes and connected drivers
/// both add it (the reader decides nothing: the writer of a response does).</remarks>
internal static class UserExceptionSerialization
{
    /// <summary>Registers the filter on <paramref name="services"/>' <see cref="ExceptionSerializationOptions"/>, keeping
    /// the namespaces Orleans already writes.</summary>
    public static void Add(IServiceCollection services) =>
        services.Configure<ExceptionSerializationOptions>(o => o.SupportedExceptionTypeFilter = static _ => true);
}
