using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using OrleansRay.Train.Wire;

namespace OrleansRay.Train;

/// <summary>A run's completed reports on disk, <c>StoragePath/Name/reports.jsonl</c>: one JSON object a line
/// (<c>{"iteration":3,"metrics":{"loss":0.12},"checkpoint":"checkpoint_000003"}</c>), appended by the driver as it reads
/// them, before it prunes the checkpoints they make obsolete. A later run of the same name and storage path reads it
/// back and resumes from it: Ray Train's job driver fault tolerance ("the same <c>RunConfig(storage_path, name)</c>
/// pair" finds the previous run's state). The file's presence also marks the folder as a run's, so no checkpoint
/// folder of unknown origin is ever deleted.</summary>
internal static class RunLog
{
    /// <summary>The log's file name in the run's folder.</summary>
    public const string FileName = "reports.jsonl";

    private static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, // a NaN or infinite loss is a report too
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    /// <summary>One line of the log: the checkpoint as its folder's name, so a run folder moved elsewhere resumes.</summary>
    private sealed record Line(int Iteration, Dictionary<string, double> Metrics, string? Checkpoint);

    /// <summary>The completed reports an earlier run of <paramref name="runPath"/> logged, iterations 1, 2, ... in order
    /// (a line cut short by a crash and anything after a gap are ignored), with checkpoints as full paths; empty for a new
    /// run. Creates the empty log for a new run.</summary>
    /// <exception cref="IOException">The folder holds checkpoint folders but no log (put there by hand, or by a version
    /// that kept none): which of them completed is unknown, so the run refuses to start rather than delete them; or the
    /// log cannot be read or created.</exception>
    public static IReadOnlyList<ReportRecord> Open(string runPath)
    {
        var path = Path.Combine(runPath, FileName);
        if (!File.Exists(path))
        {
            var unknown = Directory.EnumerateDirectories(runPath, "checkpoint_*").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            if (unknown.Count > 0)
            {
                throw new IOException(
                    $"The run's folder '{runPath}' holds {unknown.Count} checkpoint folder(s) ({string.Join(", ", unknown.Take(3))}{(unknown.Count > 3 ? ", ..." : string.Empty)}) " +
                    $"but no {FileName}, so which of them completed is unknown. Move them away, or give the run another RunConfig.Name; " +
                    "a run started afresh there would delete them.");
            }

            File.WriteAllBytes(path, []);
            return [];
        }

        var reports = new List<ReportRecord>();
        var clean = true;
        foreach (var text in File.ReadLines(path, Encoding.UTF8))
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            Line? line;
            try
            {
                line = JsonSerializer.Deserialize<Line>(text, Json);
            }
            catch (JsonException)
            {
                clean = false;
                break; // the driver died writing it: what follows cannot be trusted either
            }

            if (line is null || line.Metrics is null || line.Iteration != reports.Count + 1)
            {
                clean = false;
                if (line is not null && line.Iteration <= reports.Count)
                {
                    continue; // logged twice: kept once
                }

                break;
            }

            reports.Add(new ReportRecord(line.Iteration, line.Metrics, line.Checkpoint is null ? null : Path.Combine(runPath, line.Checkpoint)));
        }

        if (!clean)
        {
            // What this run appends must follow the last good line, not a line cut short. Written aside and moved over
            // the log: a driver killed while it writes leaves the old log, never an empty one.
            var aside = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
            File.WriteAllText(aside, Lines(reports)); // UTF-8 without a byte order mark
            File.Move(aside, path, overwrite: true);
        }

        return reports;
    }

    private static string Lines(IEnumerable<ReportRecord> reports)
    {
        var text = new StringBuilder();
        foreach (var report in reports)
        {
            var line = new Line(report.Iteration, report.Metrics, report.Checkpoint is null ? null : Path.GetFileName(report.Checkpoint));
            text.Append(JsonSerializer.Serialize(line, Json)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The lock file of a run's folder, held while a run of it runs.</summary>
    public const string LockFileName = ".run.lock";

    /// <summary>Takes the run's folder for this run until the returned handle is disposed: a second run of the same name
    /// and storage path would log into, and prune, the same folder. An advisory lock (flock) of this machine; runs on
    /// machines sharing the storage path are not stopped by it.</summary>
    /// <exception cref="IOException">Another run holds the folder.</exception>
    public static IDisposable Hold(string runPath, string name)
    {
        try
        {
            return new FileStream(Path.Combine(runPath, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException ex)
        {
            throw new IOException(
                $"Run '{name}' in '{runPath}' is in use by another run of the same RunConfig.Name and StoragePath. Wait for it to end, or give this run a name of its own.", ex);
        }
    }

    /// <summary>Appends <paramref name="reports"/> to the log of <paramref name="runPath"/> and flushes it to the file
    /// system.</summary>
    /// <exception cref="IOException">The log cannot be written (the storage path went away or is full).</exception>
    public static void Append(string runPath, IReadOnlyList<ReportRecord> reports)
    {
        if (reports.Count == 0)
        {
            return;
        }

        using var log = new FileStream(Path.Combine(runPath, FileName), FileMode.Append, FileAccess.Write, FileShare.Read);
        log.Write(Encoding.UTF8.GetBytes(Lines(reports)));
        log.Flush(flushToDisk: true);
    }
}
