namespace OrleansRay.Silo.Storage.Postgres;

/// <summary>One version of the schema: its number, what it adds, and its SQL.</summary>
internal sealed record SchemaScript(int Version, string Description, string Sql);
