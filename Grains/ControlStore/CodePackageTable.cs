namespace OrleansRay.ControlStore;

/// <summary>The rows of the code package references (<see cref="CodePackageReferencesGrain"/>), as stored.</summary>
[GenerateSerializer, Alias("orleansray.codepackagetable")]
internal sealed class CodePackageTable
{
    /// <summary>The packages referenced, or unreferenced for less than the grace, by package id.</summary>
    [Id(0)] public Dictionary<string, CodePackageRow> Packages { get; set; } = new();

    /// <summary>When each of the latest collected packages was collected, by package id (bounded by
    /// <see cref="Grains.ICodePackageReferencesGrain.CollectedKept"/>).</summary>
    [Id(1)] public Dictionary<string, DateTimeOffset> Collected { get; set; } = new();
}

/// <summary>One package's references and files.</summary>
[GenerateSerializer, Alias("orleansray.codepackagerow")]
internal sealed class CodePackageRow
{
    /// <summary>The hashes of the package's files besides its manifest.</summary>
    [Id(0)] public string[] Files { get; set; } = [];

    /// <summary>The jobs referencing it, by driver worker id, with when each reference was last added (its temporary
    /// part lasts the grace from then).</summary>
    [Id(1)] public Dictionary<string, DateTimeOffset> Jobs { get; set; } = new();

    /// <summary>Since when nothing references it, as of the last collection; null while referenced.</summary>
    [Id(2)] public DateTimeOffset? UnreferencedSince { get; set; }
}
