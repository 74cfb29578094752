using System.Net.Sockets;
using System.Reflection;
using Npgsql;

namespace OrleansRay.Silo.Storage.Postgres;

/// <summary>OrleansRay's PostgreSQL schema for Orleans' ADO.NET clustering and grain storage: versioned scripts
/// embedded in this assembly (<c>Storage/Postgres/V###__name.sql</c>), applied in order to an empty database and
/// recorded in <c>orleansray_schema_version</c>.</summary>
/// <remarks>Each version runs in its own transaction under an advisory lock, so two heads starting at once apply it
/// once, and a failed version leaves nothing behind (PostgreSQL DDL is transactional).</remarks>
internal static class PostgresSchema
{
    /// <summary>The Orleans provider tables this schema creates; finding one of them without a version row means
    /// someone else's (or a half-applied) schema.</summary>
    internal static readonly string[] ProviderTables =
        ["orleansquery", "orleansmembershipversiontable", "orleansmembershiptable", "orleansstorage"];

    /// <summary>Every query key Orleans 10.4.2's clustering and grain-storage providers read at start.</summary>
    internal static readonly string[] RequiredQueryKeys =
    [
        "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey",
        "MembershipReadRowKey", "MembershipReadAllKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey",
        "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey",
        "WriteToStorageKey", "ReadFromStorageKey", "ClearStorageKey",
    ];

    private const string ResourcePrefix = "OrleansRay.Storage.Postgres.";

    // Any constant shared by every OrleansRay process; it only has to differ from other advisory locks in the database.
    private const long MigrationLockKey = 0x4f524c5259;

    /// <summary>The versions this build knows, in order.</summary>
    internal static IReadOnlyList<SchemaScript> Scripts { get; } = LoadScripts();

    /// <summary>The newest version this build knows.</summary>
    internal static int LatestVersion => Scripts[^1].Version;

    /// <summary>Brings the database to <see cref="LatestVersion"/>: applies missing versions, leaves a current schema
    /// alone. Throws <see cref="StorageSetupException"/> with a one-line, actionable message on every known failure.</summary>
    /// <returns>The versions applied by this call (empty when the schema was already current).</returns>
    public static async Task<IReadOnlyList<int>> MigrateAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = ParseConnectionString(connectionString);
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return await MigrateOpenAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            throw Explain(ex, builder);
        }
    }

    /// <summary>Checks the schema without changing it: the error a node would hit, or null when it is current.</summary>
    public static async Task<string?> CheckAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var builder = ParseConnectionString(connectionString);
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var applied = await AppliedVersionsAsync(connection, null, cancellationToken).ConfigureAwait(false);
            if (applied.Count == 0)
            {
                return "the database has no OrleansRay schema: give this node the head's connection string (the database its --storage names), or start a head with --storage on this database to create it.";
            }

            await VerifyAsync(connection, applied, cancellationToken).ConfigureAwait(false);
            return applied.Max() < LatestVersion ? $"the schema is at version {applied.Max()}, this orleansray needs {LatestVersion}: start the head with --storage to upgrade it." : null;
        }
        catch (StorageSetupException ex)
        {
            return ex.Message;
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            return Explain(ex, builder).Message;
        }
    }

    internal static NpgsqlConnectionStringBuilder ParseConnectionString(string connectionString, string source = "--storage")
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new StorageSetupException($"{source}: not a PostgreSQL connection string ({ex.Message}). Use \"memory\" or e.g. \"Host=127.0.0.1;Port=5432;Database=orleansray;Username=ray;Password=...\".", ex);
        }
    }

    private static async Task<IReadOnlyList<int>> MigrateOpenAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var done = new List<int>();
        await using (var lockTx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            // Version table first, in its own transaction: harmless when present, needed to read what was applied.
            await ExecuteAsync(connection, lockTx, """
                CREATE TABLE IF NOT EXISTS orleansray_schema_version
                (
                    version     integer     NOT NULL PRIMARY KEY,
                    description text        NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now()
                );
                """, cancellationToken).ConfigureAwait(false);
            await lockTx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var script in Scripts)
        {
            await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, tx, $"SELECT pg_advisory_xact_lock({MigrationLockKey});", cancellationToken).ConfigureAwait(false);
            var applied = await AppliedVersionsAsync(connection, tx, cancellationToken).ConfigureAwait(false);
            if (applied.Count > 0 && applied.Max() > LatestVersion)
            {
                throw new StorageSetupException($"--storage: the database schema is at version {applied.Max()}, newer than this orleansray knows ({LatestVersion}). Upgrade orleansray on this machine.");
            }

            if (applied.Contains(script.Version))
            {
                continue;
            }

            if (applied.Count == 0 && script.Version == Scripts[0].Version)
            {
                var foreign = await ExistingProviderTablesAsync(connection, tx, cancellationToken).ConfigureAwait(false);
                if (foreign.Count > 0)
                {
                    throw new StorageSetupException($"--storage: the database already has Orleans tables ({string.Join(", ", foreign)}) that OrleansRay did not create (half-migrated or another Orleans schema). Use an empty database, or drop those tables.");
                }
            }
            else if (applied.Any(v => v > script.Version))
            {
                throw new StorageSetupException($"--storage: schema version {script.Version} is missing though later ones are recorded (half-migrated). Recreate the database empty and start the head again.");
            }

            await ExecuteAsync(connection, tx, script.Sql, cancellationToken).ConfigureAwait(false);
            await using (var record = new NpgsqlCommand("INSERT INTO orleansray_schema_version (version, description) VALUES (@v, @d);", connection, tx))
            {
                record.Parameters.AddWithValue("v", script.Version);
                record.Parameters.AddWithValue("d", script.Description);
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            done.Add(script.Version);
        }

        await VerifyAsync(connection, await AppliedVersionsAsync(connection, null, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return done;
    }

    /// <summary>Checks that what the version table claims is really there: every provider table and query key.</summary>
    private static async Task VerifyAsync(NpgsqlConnection connection, IReadOnlyCollection<int> applied, CancellationToken cancellationToken)
    {
        var tables = await ExistingProviderTablesAsync(connection, null, cancellationToken).ConfigureAwait(false);
        var missingTables = ProviderTables.Except(tables, StringComparer.Ordinal).ToList();
        if (missingTables.Count > 0)
        {
            throw new StorageSetupException($"--storage: the schema is recorded at version {applied.Max()} but tables are missing ({string.Join(", ", missingTables)}): half-migrated. Recreate the database empty and start the head again.");
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("SELECT QueryKey FROM OrleansQuery;", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                keys.Add(reader.GetString(0));
            }
        }

        var missingKeys = RequiredQueryKeys.Where(k => !keys.Contains(k)).ToList();
        if (missingKeys.Count > 0)
        {
            throw new StorageSetupException($"--storage: OrleansQuery lacks {string.Join(", ", missingKeys)}: half-migrated. Recreate the database empty and start the head again.");
        }
    }

    private static async Task<List<int>> AppliedVersionsAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken cancellationToken)
    {
        var versions = new List<int>();
        await using var command = new NpgsqlCommand(
            "SELECT version FROM orleansray_schema_version ORDER BY version;", connection, tx);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                versions.Add(reader.GetInt32(0));
            }
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable && tx is null)
        {
            // No version table: nothing applied (CheckAsync on an empty database).
        }

        return versions;
    }

    private static async Task<List<string>> ExistingProviderTablesAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken cancellationToken)
    {
        var found = new List<string>();
        await using var command = new NpgsqlCommand(
            "SELECT lower(table_name) FROM information_schema.tables WHERE table_schema = current_schema() AND lower(table_name) = ANY(@names);", connection, tx);
        command.Parameters.AddWithValue("names", ProviderTables);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            found.Add(reader.GetString(0));
        }

        return found;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Turns a driver failure into one line that says what went wrong and what to do.</summary>
    internal static StorageSetupException Explain(Exception ex, NpgsqlConnectionStringBuilder builder)
    {
        var where = $"{builder.Host ?? "localhost"}:{builder.Port}";
        var database = builder.Database ?? builder.Username ?? "(default)";
        var message = ex switch
        {
            PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } =>
                $"--storage: PostgreSQL at {where} refused user '{builder.Username}' (wrong user name or password). Check Username and Password in the connection string.",
            PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } =>
                $"--storage: database '{database}' does not exist on {where}. Create it (CREATE DATABASE {database};) or fix Database= in the connection string.",
            PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } pg =>
                $"--storage: user '{builder.Username}' may not create the OrleansRay schema in '{database}' ({pg.MessageText}). Grant CREATE on the database or use its owner.",
            PostgresException pg =>
                $"--storage: PostgreSQL error {pg.SqlState} while setting up the schema: {pg.MessageText}.",
            NpgsqlException { InnerException: SocketException or TimeoutException } or SocketException or TimeoutException or NpgsqlException { IsTransient: true } =>
                $"--storage: cannot reach PostgreSQL at {where} ({Innermost(ex).Message}). Is the server running and is Host/Port right?",
            _ => $"--storage: {Innermost(ex).Message}",
        };
        return new StorageSetupException(message, ex);
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }

    private static List<SchemaScript> LoadScripts()
    {
        var assembly = typeof(PostgresSchema).Assembly;
        var scripts = new List<SchemaScript>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            // V002__clustering.sql → version 2, "clustering".
            var file = name[ResourcePrefix.Length..^".sql".Length];
            var split = file.IndexOf("__", StringComparison.Ordinal);
            var version = int.Parse(file.AsSpan(1, split - 1), System.Globalization.CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            scripts.Add(new SchemaScript(version, file[(split + 2)..].Replace('_', ' '), reader.ReadToEnd()));
        }

        scripts.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < scripts.Count; i++)
        {
            if (scripts[i].Version != i + 1)
            {
                throw new InvalidOperationException($"Embedded schema scripts must be numbered V001, V002, ... without gaps; found V{scripts[i].Version:000} at position {i + 1}.");
            }
        }

        return scripts;
    }
}
