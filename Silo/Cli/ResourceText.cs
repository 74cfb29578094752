using System.Globalization;
using Npgsql;

namespace OrleansRay.Silo.Cli;

/// <summary>Resource amounts the way Ray prints them: <c>0.0/2.0 CPU</c>, <c>0B/17.76GiB memory</c>.</summary>
internal static class ResourceText
{
    /// <summary>True for resources counted in bytes.</summary>
    public static bool IsBytes(string name) => name is ResourceSet.Memory or ResourceSet.ObjectStoreMemory;

    /// <summary>Ray's memory format: two decimals in the largest binary unit below the value, plain bytes under 1 KiB.</summary>
    public static string Bytes(double bytes)
    {
        const double KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024;
        return bytes switch
        {
            >= GiB => (bytes / GiB).ToString("0.00", CultureInfo.InvariantCulture) + "GiB",
            >= MiB => (bytes / MiB).ToString("0.00", CultureInfo.InvariantCulture) + "MiB",
            >= KiB => (bytes / KiB).ToString("0.00", CultureInfo.InvariantCulture) + "KiB",
            _ => Math.Round(bytes).ToString("0", CultureInfo.InvariantCulture) + "B",
        };
    }

    public static string Amount(string name, double amount) =>
        IsBytes(name) ? Bytes(amount) : amount.ToString("0.0###", CultureInfo.InvariantCulture);

    /// <summary>One usage line: <c>used/total name</c>.</summary>
    public static string Usage(string name, double used, double total) => $"{Amount(name, used)}/{Amount(name, total)} {name}";

    /// <summary>"2.0 CPU, 11.20GiB memory, ..." for a node's resources.</summary>
    public static string Describe(ResourceSet resources) =>
        resources.IsEmpty ? "(none)" : string.Join(", ", Ordered(resources.Items).Select(i => $"{Amount(i.Key, i.Value)} {i.Key}"));

    /// <summary>CPU, GPU, memory, object_store_memory first (Ray's order), then custom resources by name.</summary>
    public static IEnumerable<KeyValuePair<string, double>> Ordered(IEnumerable<KeyValuePair<string, double>> items) =>
        items.OrderBy(i => i.Key switch
        {
            ResourceSet.Cpu => 0,
            ResourceSet.Gpu => 1,
            ResourceSet.Memory => 2,
            ResourceSet.ObjectStoreMemory => 3,
            _ => 4,
        }).ThenBy(i => i.Key, StringComparer.Ordinal);

    /// <summary>The connection string without its password, for printing.</summary>
    public static string RedactPassword(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (!string.IsNullOrEmpty(builder.Password))
            {
                builder.Password = "***";
            }

            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            return "(connection string)";
        }
    }
}
