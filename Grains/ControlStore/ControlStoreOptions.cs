using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>Settings of the control store's grains on the head, bound through <c>IOptions&lt;ControlStoreOptions&gt;</c>
/// from the node's options.</summary>
internal sealed class ControlStoreOptions
{
    /// <summary>How long a code package stays in the control store after its last reference (a running job, a live
    /// detached actor) ended, and how long a job's reference lasts at least after its driver added it (Ray's temporary
    /// reference of an upload). Default: 10 minutes (<see cref="ICodePackageReferencesGrain.DefaultGrace"/>, Ray's
    /// <c>RAY_RUNTIME_ENV_TEMPORARY_REFERENCE_EXPIRATION_S</c> of 600 s). Tests set a second or less.</summary>
    public TimeSpan CodePackageGrace { get; set; } = ICodePackageReferencesGrain.DefaultGrace;
}
