namespace OrleansRay.Grains;

/// <summary>The control store's copy of one file of job code (an assembly, or a package's manifest), content-addressed:
/// the key is the lowercase hex SHA-256 of the bytes. A driver uploads each file of its code package once per cluster
/// (it asks <see cref="HasAsync"/> first), and a node fetches a file the first time it runs that job's code, then keeps
/// it in its disk cache (Ray's runtime-env package upload to the GCS, the URI being the hash).</summary>
/// <remarks>Lives on the head with the other control-store grains; persisted with the cluster's grain storage
/// (PostgreSQL with <c>--storage</c>), so a restarted head still has it.</remarks>
[Alias("orleansray.ICodeBlobGrain")]
public interface ICodeBlobGrain : IGrainWithStringKey
{
    /// <summary>Largest file the control store takes, in bytes (64 MiB): one file travels in one grain message, whose
    /// limit is Orleans' 100 MB.</summary>
    const int MaxBytes = 64 << 20;

    /// <summary>True when the cluster holds these bytes already (no upload needed).</summary>
    [Alias("Has")]
    Task<bool> HasAsync();

    /// <summary>Stores the bytes (idempotent).</summary>
    /// <exception cref="ArgumentException">The bytes' SHA-256 is not this grain's key, or they are over <see cref="MaxBytes"/>.</exception>
    [Alias("Put")]
    Task PutAsync(byte[] bytes);

    /// <summary>The bytes, or null when nobody uploaded them.</summary>
    [Alias("Get")]
    Task<byte[]?> GetAsync();

    /// <summary>Removes the bytes from the control store (its grain storage, and the head's memory: the activation
    /// deactivates). Only the package reference table calls this, for files no referenced package names (Ray deletes an
    /// unreferenced runtime-env package from the GCS). Idempotent.</summary>
    /// <returns>The bytes freed: 0 when there were none.</returns>
    [Alias("Delete")]
    Task<long> DeleteAsync();
}
