using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansRay.Code;

/// <summary>A job's code package as it travels: the assemblies of the driver's application (each named by its simple
/// name and content hash), the job's runtime environment variables, and the files of its working dir. Its id is the
/// SHA-256 of its canonical bytes, so one build with one environment is one package, uploaded once per cluster (Ray's
/// runtime-env URI).</summary>
internal sealed record CodeManifest
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The assemblies, sorted by name (ordinal, ignoring case).</summary>
    public IReadOnlyList<CodeFile> Assemblies { get; init; } = [];

    /// <summary>Environment variables of the job's tasks and actors (Ray's <c>runtime_env.env_vars</c>), sorted by name.</summary>
    public IReadOnlyDictionary<string, string> EnvVars { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The files of the job's working dir (Ray's <c>runtime_env.working_dir</c>), sorted by path (ordinal);
    /// null when the job has none. Left out of the bytes when null, so a package without one keeps the id it had before
    /// working dirs travelled.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<WorkingDirFile>? WorkingDir { get; init; }

    /// <summary>The hashes of every file the package names besides the manifest: its assemblies and its working dir's files.</summary>
    public IEnumerable<string> FileHashes() => Assemblies.Select(a => a.Sha256).Concat((WorkingDir ?? []).Select(f => f.Sha256));

    /// <summary>The id of the working dir's contents alone (lowercase hex SHA-256 of its canonical file list): jobs whose
    /// working dirs hold the same files at the same paths share it, whatever their code. Null without a working dir.</summary>
    public string? WorkingDirId() =>
        WorkingDir is null ? null : Hash(JsonSerializer.SerializeToUtf8Bytes(SortedWorkingDir(WorkingDir), Json));

    /// <summary>The canonical bytes (UTF-8 JSON, sorted), whose SHA-256 is the package id.</summary>
    public byte[] ToBytes()
    {
        var canonical = new CodeManifest
        {
            Assemblies = [.. Assemblies.OrderBy(a => a.Name, StringComparer.OrdinalIgnoreCase)],
            EnvVars = new SortedDictionary<string, string>(EnvVars.ToDictionary(), StringComparer.Ordinal),
            WorkingDir = WorkingDir is null ? null : SortedWorkingDir(WorkingDir),
        };
        return JsonSerializer.SerializeToUtf8Bytes(canonical, Json);
    }

    private static List<WorkingDirFile> SortedWorkingDir(IEnumerable<WorkingDirFile> files) =>
        [.. files.OrderBy(f => f.Path, StringComparer.Ordinal)];

    /// <summary>Reads manifest bytes.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a manifest.</exception>
    public static CodeManifest Parse(byte[] bytes)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize<CodeManifest>(bytes, Json) ?? throw new InvalidDataException("The job's code manifest is empty.");
            foreach (var file in manifest.Assemblies)
            {
                if (string.IsNullOrWhiteSpace(file.Name) || !IsHash(file.Sha256))
                {
                    throw new InvalidDataException($"The job's code manifest names a file badly ('{file.Name}', '{file.Sha256}').");
                }
            }

            // Where a working-dir file may land is the node's check (JobWorkingDirs), which names the entry it refuses.
            foreach (var file in manifest.WorkingDir ?? [])
            {
                if (file.Path is null || !IsHash(file.Sha256) || file.Size < 0 || file.Mode is < 0 or > 511)
                {
                    throw new InvalidDataException($"The job's code manifest names a working-dir file badly ('{file.Path}', '{file.Sha256}', {file.Size} bytes, mode {file.Mode}).");
                }
            }

            return manifest;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The job's code manifest is not valid: {ex.Message}", ex);
        }
    }

    /// <summary>Lowercase hex SHA-256 of <paramref name="bytes"/>: the id of a file or of a manifest.</summary>
    public static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>True for a lowercase hex SHA-256 (64 hex digits).</summary>
    public static bool IsHash(string? value) =>
        value is { Length: 64 } && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(Assemblies.Count).Append(" assemblies (");
        text.AppendJoin(", ", Assemblies.Select(a => a.Name));
        text.Append(')');
        if (WorkingDir is { } files)
        {
            text.Append(", a working dir of ").Append(files.Count).Append(" files (").Append(files.Sum(f => f.Size)).Append(" bytes)");
        }

        return text.ToString();
    }
}

/// <summary>One assembly of a code package.</summary>
/// <param name="Name">The assembly's simple name.</param>
/// <param name="Sha256">Lowercase hex SHA-256 of the file: its id in the control store and the disk cache.</param>
/// <param name="Size">Bytes.</param>
internal sealed record CodeFile(string Name, string Sha256, long Size);
