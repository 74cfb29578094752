using System.Globalization;

namespace OrleansRay.ObjectStore.Hosting;

/// <summary>The line orleansray-store prints on stdout once it accepts clients: <c>orleansray-store ready key=value ...</c>.</summary>
internal sealed record StoreReadyLine(int ProcessId, string SocketPath, int TransferPort, long Capacity, string ArenaPath)
{
    public const string Prefix = "orleansray-store ready ";

    public string Format() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Prefix}pid={ProcessId} transfer-port={TransferPort} capacity={Capacity} socket={SocketPath} arena={ArenaPath}");

    public static StoreReadyLine? TryParse(string line)
    {
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        // Paths come last and may contain spaces: split on " key=" boundaries in a fixed order.
        var rest = line[Prefix.Length..];
        string Take(string key, string? next)
        {
            var start = rest.IndexOf(key + "=", StringComparison.Ordinal);
            if (start < 0)
            {
                throw new FormatException($"The ready line lacks {key}: {line}");
            }

            start += key.Length + 1;
            var end = next is null ? rest.Length : rest.IndexOf(" " + next + "=", start, StringComparison.Ordinal);
            return rest[start..(end < 0 ? rest.Length : end)];
        }

        return new StoreReadyLine(
            int.Parse(Take("pid", "transfer-port"), CultureInfo.InvariantCulture),
            Take("socket", "arena"),
            int.Parse(Take("transfer-port", "capacity"), CultureInfo.InvariantCulture),
            long.Parse(Take("capacity", "socket"), CultureInfo.InvariantCulture),
            Take("arena", null));
    }
}
