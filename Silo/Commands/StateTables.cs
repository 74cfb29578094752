using System.Globalization;
using System.Text.Json;
using OrleansRay.Silo.Cli;
using Spectre.Console;

namespace OrleansRay.Silo.Commands;

/// <summary>How the state verbs print their rows: Spectre tables in Ray's column order, or JSON.</summary>
internal static class StateTables
{
    public static void Nodes(IAnsiConsole console, IReadOnlyList<NodeStateRow> rows) =>
        Write(console, rows, ["Node", "Address", "State", "Head", "Resources", "Available"], n => [n.NodeId, n.Address, n.State, n.IsHeadNode ? "yes" : "no", ResourceText.Describe(ResourceSet.From(n.Resources)), ResourceText.Describe(ResourceSet.From(n.Available))]);

    public static void Jobs(IAnsiConsole console, IReadOnlyList<JobStateRow> rows) =>
        Write(console, rows, ["Job", "Status", "Driver", "Namespace", "Start", "End", "Message"], j => [j.JobId, j.State, j.Pid > 0 ? string.Create(CultureInfo.InvariantCulture, $"pid {j.Pid} on {j.Host}") : j.Host, j.Namespace, Time(j.StartedAt), Time(j.EndedAt), j.Message ?? string.Empty]);

    public static void Actors(IAnsiConsole console, IReadOnlyList<ActorStateRow> rows) =>
        Write(console, rows, ["Actor", "Class", "Name", "State", "Job", "Node", "Restarts", "Pending calls"], a => [a.ActorId, a.ClassName, a.Name, a.State, a.JobId, a.Node, Number(a.Restarts), a.PendingCalls is { } p ? Number(p) : string.Empty]);

    public static void Tasks(IAnsiConsole console, IReadOnlyList<TaskStateRow> rows) =>
        Write(console, rows, ["Task", "Name", "State", "Job", "Node", "Attempt", "Duration", "Error type", "Error"], t => [t.TaskId, t.Name, t.State, t.JobId, t.Node, t.Attempt < 0 ? string.Empty : Number(t.Attempt), t.DurationMs is { } d ? d.ToString("0.###", CultureInfo.InvariantCulture) + " ms" : string.Empty, t.ErrorType ?? string.Empty, t.ErrorMessage ?? string.Empty]);

    public static void Objects(IAnsiConsole console, IReadOnlyList<ObjectStateRow> rows) =>
        Write(console, rows, ["Object", "Owner", "Size", "Reference type", "Status", "Type", "Location", "Store node", "Spilled"], o => [o.ObjectId, o.Owner, Size(o.SizeBytes), o.ReferenceType, o.Status, o.Origin, o.Location, o.StoreNode, o.Spilled is { } s ? (s ? "yes" : "no") : string.Empty]);

    public static void PlacementGroups(IAnsiConsole console, IReadOnlyList<PlacementGroupStateRow> rows) =>
        Write(console, rows, ["Placement group", "Name", "State", "Strategy", "Job", "Detached", "Bundles", "Nodes"], g => [g.PlacementGroupId, g.Name, g.State, g.Strategy, g.CreatorJobId, g.IsDetached ? "yes" : "no", string.Join(" ", g.Bundles.Select(b => ResourceText.Describe(ResourceSet.From(b)))), string.Join(" ", g.BundleNodes)]);

    public static void Actor(IAnsiConsole console, ActorStateRow actor, bool json)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(actor, StateCommands.Json));
            return;
        }

        var lines = new LabelledLines();
        foreach (var (name, value) in new (string, string)[]
        {
            ("actor_id", actor.ActorId), ("class_name", actor.ClassName), ("name", actor.Name), ("ray_namespace", actor.Namespace),
            ("state", actor.State), ("job_id", actor.JobId), ("node_id", actor.Node), ("num_restarts", Number(actor.Restarts)), ("detached", actor.Detached ? "true" : "false"),
            ("pending_calls", actor.PendingCalls is { } p ? Number(p) : string.Empty), ("calls_run", actor.CallsRun is { } c ? c.ToString(CultureInfo.InvariantCulture) : string.Empty),
        })
        {
            lines.Add(name, value);
        }

        lines.WriteTo(console);
    }

    public static void Summary(IAnsiConsole console, StateResource resource, IReadOnlyList<StateSummaryRow> rows, bool json)
    {
        var key = resource switch
        {
            StateResource.Tasks => "func_or_class_name",
            StateResource.Actors => "class_name",
            _ => "reference_type",
        };
        var states = rows.Select(r => r.State).Distinct().Order(StringComparer.Ordinal).ToList();
        var groups = rows.GroupBy(r => r.Key).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (json)
        {
            var shaped = groups.ToDictionary(
                g => g.Key,
                g => new Dictionary<string, object>(StringComparer.Ordinal)
                {
                    ["total"] = g.Sum(r => r.Count),
                    ["state_counts"] = g.ToDictionary(r => r.State, r => r.Count),
                    ["bytes"] = g.Sum(r => r.Bytes),
                });
            Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["key"] = key, ["summary"] = shaped }, StateCommands.Json));
            return;
        }

        if (groups.Count == 0)
        {
            console.WriteLine("(nothing to summarize)");
            return;
        }

        var table = new Table().Border(ConsoleOutput.Border).AddColumn(key.ToUpperInvariant()).AddColumn("TOTAL");
        foreach (var state in states)
        {
            table.AddColumn(state);
        }

        if (resource == StateResource.Objects)
        {
            table.AddColumn("SIZE");
        }

        foreach (var group in groups)
        {
            var cells = new List<string> { Markup.Escape(group.Key), group.Sum(r => r.Count).ToString(CultureInfo.InvariantCulture) };
            cells.AddRange(states.Select(s => group.Where(r => r.State == s).Sum(r => r.Count).ToString(CultureInfo.InvariantCulture)));
            if (resource == StateResource.Objects)
            {
                cells.Add(Markup.Escape(Size(group.Sum(r => r.Bytes))));
            }

            table.AddRow(cells.ToArray());
        }

        console.Write(table);
    }

    public static void Memory(IAnsiConsole console, MemoryReport memory, bool json)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(memory, StateCommands.Json));
            return;
        }

        console.WriteLine("======== Object references (by owner) ========");
        foreach (var owner in memory.Objects.GroupBy(o => o.Owner))
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"--- Owner {owner.Key}: {owner.Count()} object(s), {Size(owner.Sum(o => Math.Max(0, o.SizeBytes)))} stored, {owner.Count(o => o.Spilled == true)} spilled ---"));
            Objects(console, owner.ToList());
        }

        if (memory.Objects.Count == 0)
        {
            console.WriteLine("(no objects)");
        }
        else if (memory.Total > memory.Objects.Count)
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"(showing {memory.Objects.Count} of {memory.Total} objects; raise --limit to see more)"));
        }

        if (memory.Objects.Count > 0)
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Spilled: {memory.SpilledObjects} of {memory.Objects.Count} object(s) shown, {Size(memory.SpilledObjectBytes)}"));
        }

        console.WriteLine();
        console.WriteLine("======== Object stores ========");
        Write(console, memory.Stores, ["Node", "Used", "Capacity", "Objects", "Spilled", "Spills", "Restores"],
            s => [s.Node, Size(s.UsedBytes), Size(s.CapacityBytes), Number(s.ObjectCount), Size(s.SpilledBytes), s.SpillCount.ToString(CultureInfo.InvariantCulture), s.RestoreCount.ToString(CultureInfo.InvariantCulture)]);
    }

    private static void Write<T>(IAnsiConsole console, IReadOnlyList<T> rows, string[] columns, Func<T, string[]> cells)
    {
        if (rows.Count == 0)
        {
            console.WriteLine("(no rows)");
            return;
        }

        var table = new Table().Border(ConsoleOutput.Border);
        foreach (var column in columns)
        {
            table.AddColumn(column);
        }

        var widths = columns.Select(c => c.Length).ToArray();
        foreach (var row in rows)
        {
            var texts = cells(row);
            for (var i = 0; i < texts.Length && i < widths.Length; i++)
            {
                widths[i] = Math.Max(widths[i], texts[i].Length);
            }

            table.AddRow(texts.Select(Markup.Escape).ToArray());
        }

        // A table wider than the console would wrap its cells, splitting ids (32 hex digits) that are meant to be
        // copied into the next command. Rows longer than the console instead: a terminal folds a long line, and the id
        // stays whole in it. Each column takes its cells' width plus a space each side and one rule.
        var natural = widths.Sum() + (3 * widths.Length) + 1;
        var width = console.Profile.Width;
        console.Profile.Width = Math.Max(width, natural);
        try
        {
            console.Write(table);
        }
        finally
        {
            console.Profile.Width = width;
        }
    }

    private static string Number(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset? at) => at is { } t ? t.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : string.Empty;

    private static string Size(long bytes) => bytes < 0 ? string.Empty
        : bytes >= 1 << 20 ? (bytes / (double)(1 << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB"
        : bytes >= 1 << 10 ? (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB"
        : bytes.ToString(CultureInfo.InvariantCulture) + " B";
}
