namespace OrleansRay.Grains;

/// <summary>The control store's code package references (key 0), Ray's runtime-env URI reference table in the GCS: which
/// jobs reference which code package (a package's URI is its id, the lowercase hex SHA-256 of its manifest), and which
/// files (<see cref="ICodeBlobGrain"/> keys) each package names. A package no job and no live detached actor references
/// for <see cref="DefaultGrace"/> is collected: its manifest, and every file of it no still-referenced package names,
/// leave the control store.</summary>
/// <remarks>
/// <para>A job's reference lasts while the job runs (the job table's <see cref="IJobTableGrain.HasEndedAsync"/> check)
/// and, like Ray's temporary reference of an upload, for the grace after it was added, whatever the job table says
/// (so a driver that has not added its job's row yet keeps its package). A live (not dead) detached actor built from the
/// package references it too: a detached actor restarting on a new node needs the code.</para>
/// <para>Lives on the head and writes through to the control store's grain storage (PostgreSQL with <c>--storage</c>), so
/// references survive a head restart. Only packages a driver referenced are ever collected: files nobody referenced
/// (uploaded by a version of OrleansRay without this table) stay.</para>
/// </remarks>
[Alias("orleansray.ICodePackageReferencesGrain")]
public interface ICodePackageReferencesGrain : IGrainWithIntegerKey
{
    /// <summary>How long a package stays after its last reference ended, and how long a job's reference lasts at least
    /// after it was added: 10 minutes (Ray's <c>RAY_RUNTIME_ENV_TEMPORARY_REFERENCE_EXPIRATION_S</c>, 600 s).</summary>
    static readonly TimeSpan DefaultGrace = TimeSpan.FromMinutes(10);

    /// <summary>Records that the job of driver <paramref name="driver"/> (its worker id, <see cref="JobInfo.Driver"/>)
    /// references package <paramref name="packageId"/>, which names <paramref name="files"/>. A driver calls this before it
    /// asks whether the cluster has any file of the package (<see cref="ICodeBlobGrain.HasAsync"/>): from this call on no
    /// collection removes a file the package names, so a file found "already there" stays there. Idempotent.</summary>
    /// <param name="packageId">The package's id: 64 lowercase hex digits.</param>
    /// <param name="driver">The job's driver worker id.</param>
    /// <param name="files">The hashes of the package's files besides its manifest (64 lowercase hex digits each).</param>
    /// <exception cref="ArgumentException">An id or hash is not 64 lowercase hex digits, or <paramref name="driver"/> is empty.</exception>
    [Alias("AddReference")]
    Task AddReferenceAsync(string packageId, string driver, string[] files);

    /// <summary>When package <paramref name="packageId"/> was collected, if it was among the latest
    /// <see cref="CollectedKept"/> collected; null otherwise (never collected, or collected long ago).</summary>
    [Alias("CollectedAt")]
    Task<DateTimeOffset?> CollectedAtAsync(string packageId);

    /// <summary>The packages referenced now or waiting for their grace to pass, by package id.</summary>
    [Alias("List")]
    Task<IReadOnlyList<CodePackageReferences>> ListAsync();

    /// <summary>Activates the table, so collection resumes after a head restart (a node calls this when it starts).
    /// Does nothing else.</summary>
    [Alias("Wake")]
    Task WakeAsync();

    /// <summary>Collected packages remembered for <see cref="CollectedAtAsync"/> (1000, oldest forgotten first).</summary>
    const int CollectedKept = 1000;
}

/// <summary>One package's row in <see cref="ICodePackageReferencesGrain"/>.</summary>
/// <param name="PackageId">The package id (its URI).</param>
/// <param name="Drivers">The drivers (worker ids) of the jobs that referenced it and were not seen to end yet.</param>
/// <param name="Files">The hashes of its files besides the manifest.</param>
/// <param name="UnreferencedSince">Since when no job or live detached actor references it, as of the last collection;
/// null while referenced. It is collected once this is <see cref="ICodePackageReferencesGrain.DefaultGrace"/> (or the
/// head's configured grace) ago.</param>
[GenerateSerializer, Immutable, Alias("orleansray.codepackagereferences")]
public sealed record CodePackageReferences(
    [property: Id(0)] string PackageId,
    [property: Id(1)] IReadOnlyList<string> Drivers,
    [property: Id(2)] IReadOnlyList<string> Files,
    [property: Id(3)] DateTimeOffset? UnreferencedSince);
