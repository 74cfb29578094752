using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using OrleansRay.Node;
using OrleansRay.Silo.Cli;
using Spectre.Console;

namespace OrleansRay.Silo.Commands;

/// <summary>The state verbs (Ray's state CLI): <c>orleansray list nodes|jobs|actors|tasks|objects|placement-groups</c>,
/// <c>orleansray get actor ID</c>, <c>orleansray summary tasks|actors|objects</c> and <c>orleansray memory</c>. They read
/// what <c>IRay.State</c> reads (<see cref="ClusterState"/>) through a cluster client.</summary>
internal static class StateCommands
{
    /// <summary>Ray's snake_case keys for <c>--format json</c>.</summary>
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Command List()
    {
        var list = new Command("list", "List the cluster's nodes, jobs, actors, tasks, objects or placement groups (Ray's `ray list`).");
        foreach (var resource in new[] { StateResource.Nodes, StateResource.Jobs, StateResource.Actors, StateResource.Tasks, StateResource.Objects, StateResource.PlacementGroups })
        {
            list.Subcommands.Add(new StateVerb(StateColumns.CliName(resource), $"List {StateColumns.CliName(resource).Replace('-', ' ')}. Filter keys: {string.Join(", ", StateColumns.Keys(resource))}.", resource, StateVerb.Kind.List));
        }

        return list;
    }

    public static Command Summary()
    {
        var summary = new Command("summary", "Summarize tasks (by function and state), actors (by class and state) or objects (by reference type and status) (Ray's `ray summary`).");
        foreach (var resource in new[] { StateResource.Tasks, StateResource.Actors, StateResource.Objects })
        {
            summary.Subcommands.Add(new StateVerb(StateColumns.CliName(resource), $"Summarize {StateColumns.CliName(resource)}.", resource, StateVerb.Kind.Summary));
        }

        return summary;
    }

    public static Command Get()
    {
        var get = new Command("get", "Show one actor (Ray's `ray get actors ID`).");
        get.Subcommands.Add(new StateVerb("actor", "Show the actor with this id.", StateResource.Actors, StateVerb.Kind.Get));
        return get;
    }

    public static Command Timeline() =>
        new StateVerb("timeline", "Write the finished tasks as a Chrome trace file (Ray's `ray timeline`): open it at chrome://tracing or https://ui.perfetto.dev. Filter keys: the task keys, e.g. job_id.", StateResource.Tasks, StateVerb.Kind.Timeline);

    public static Command Memory() =>
        new StateVerb("memory", "Show the objects by owner (size, reference type, where stored) and each node's object store (Ray's `ray memory`).", StateResource.Objects, StateVerb.Kind.Memory);

    /// <summary>One state verb with the shared options.</summary>
    private sealed class StateVerb : Command
    {
        internal enum Kind
        {
            List,
            Summary,
            Get,
            Memory,
            Timeline,
        }

        private readonly StateResource _resource;
        private readonly Kind _kind;
        private readonly Option<string[]> _filter = new("--filter") { AllowMultipleArgumentsPerToken = false };
        private readonly Option<int> _limit = new("--limit") { Description = "The most rows (1-10000).", DefaultValueFactory = _ => ClusterState.DefaultLimit };
        private readonly Option<string> _format = new("--format") { Description = "table or json.", DefaultValueFactory = _ => "table" };
        private readonly Option<string?> _address = new("--address") { Description = "The cluster's client address HOST:PORT. Default: $ORLEANSRAY_ADDRESS when it is a HOST:PORT, else the address file of the cluster started on this machine." };
        private readonly Option<string?> _authToken = AuthTokens.TokenOption();
        private readonly Option<bool> _insecure = AuthTokens.InsecureOption(AuthTokens.InsecureClientHelp);
        private readonly Option<string?> _output = new("--output", "-o") { Description = "The trace file to write. Default: orleansray-timeline-<UTC time>.json in the temp folder (Ray's `ray timeline` writes to /tmp too)." };
        private readonly Argument<string> _id = new("id") { Description = "The actor's id (as `orleansray list actors` shows it)." };

        public StateVerb(string name, string description, StateResource resource, Kind kind)
            : base(name, description)
        {
            _resource = resource;
            _kind = kind;
            _filter.Description = $"key=value or key!=value; repeat for several (all must hold). E.g. --filter {FilterExample(resource)}.";
            if (kind is Kind.List or Kind.Memory or Kind.Summary or Kind.Timeline)
            {
                Options.Add(_filter);
            }

            if (kind is Kind.List or Kind.Memory or Kind.Timeline)
            {
                Options.Add(_limit);
            }

            if (kind == Kind.Timeline)
            {
                _limit.Description = "The most tasks (1-10000); the newest are kept.";
                _limit.DefaultValueFactory = _ => ClusterState.MaxLimit;
                Options.Add(_output);
            }

            if (kind == Kind.Get)
            {
                Arguments.Add(_id);
            }

            if (kind != Kind.Timeline)
            {
                Options.Add(_format);
            }

            Options.Add(_address);
            Options.Add(_authToken);
            Options.Add(_insecure);
            SetAction(RunAsync);
        }

        private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            // Bad input is refused before any connection: one line, exit 2.
            var format = _kind == Kind.Timeline ? "table" : parse.GetValue(_format)?.Trim().ToLowerInvariant() ?? "table";
            if (format is not ("table" or "json"))
            {
                throw CliException.Usage($"--format '{parse.GetValue(_format)}': expected table or json.");
            }

            var filters = Filters(parse);
            var limit = _kind is Kind.List or Kind.Memory or Kind.Timeline ? parse.GetValue(_limit) : ClusterState.DefaultLimit;
            if (limit is < 1 or > ClusterState.MaxLimit)
            {
                throw CliException.Usage($"--limit {limit.ToString(CultureInfo.InvariantCulture)}: must be 1 to {ClusterState.MaxLimit.ToString(CultureInfo.InvariantCulture)}.");
            }

            var id = _kind == Kind.Get ? parse.GetValue(_id)?.Trim() ?? string.Empty : string.Empty;
            if (_kind == Kind.Get && id.Length == 0)
            {
                throw CliException.Usage("`orleansray get actor` needs an actor id, as `orleansray list actors` shows it.");
            }

            var output = _kind == Kind.Timeline ? TimelineFile.Resolve(parse.GetValue(_output)) : null;
            var address = ClusterClient.ResolveGatewayAddress(parse.GetValue(_address), CliPaths.Current, out var source);
            await using var cluster = await ClusterClient.ConnectAsync(source, address, () => AuthTokens.ForClient(parse, _authToken, _insecure, CliPaths.Current), cancellationToken).ConfigureAwait(false);
            var state = new ClusterState(cluster.Client, null);
            var console = ConsoleOutput.Create();
            var json = format == "json";
            switch (_kind)
            {
                case Kind.List:
                    return await ListAsync(state, filters, limit, json, console, cancellationToken).ConfigureAwait(false);
                case Kind.Summary:
                    var (rows, warnings) = await state.SummarizeAsync(_resource, filters, cancellationToken).ConfigureAwait(false);
                    Warn(warnings);
                    StateTables.Summary(console, _resource, rows, json);
                    return 0;
                case Kind.Timeline:
                    return await TimelineFile.WriteAsync(state, filters, limit, output!, cancellationToken).ConfigureAwait(false);
                case Kind.Get:
                    var found = await state.ActorsAsync([new StateFilter("actor_id", StatePredicate.Equal, id)], 1, cancellationToken).ConfigureAwait(false);
                    Warn(found.Warnings);
                    if (found.Rows.Count == 0)
                    {
                        // An unknown id is bad input, as an unknown job is for `job status` (exit code 2).
                        throw CliException.Usage($"no actor with id '{id}': `orleansray list actors` shows the actors the cluster knows.");
                    }

                    StateTables.Actor(console, found.Rows[0], json);
                    return 0;
                default:
                    var memory = await state.MemoryAsync(filters, limit, cancellationToken).ConfigureAwait(false);
                    Warn(memory.Warnings);
                    StateTables.Memory(console, memory, json);
                    return 0;
            }
        }

        private async Task<int> ListAsync(ClusterState state, IReadOnlyList<StateFilter> filters, int limit, bool json, IAnsiConsole console, CancellationToken cancellationToken)
        {
            switch (_resource)
            {
                case StateResource.Nodes:
                    Print(await state.NodesAsync(filters, limit, cancellationToken).ConfigureAwait(false), json, console, StateTables.Nodes);
                    break;
                case StateResource.Jobs:
                    Print(await state.JobsAsync(filters, limit, cancellationToken).ConfigureAwait(false), json, console, StateTables.Jobs);
                    break;
                case StateResource.Actors:
                    Print(await state.ActorsAsync(filters, limit, cancellationToken).ConfigureAwait(false), json, console, StateTables.Actors);
                    break;
                case StateResource.Tasks:
                    Print(await state.TasksAsync(filters, limit, cancellationToken).ConfigureAwait(false), json, console, StateTables.Tasks);
                    break;
                case StateResource.Objects:
                    Print(await state.ObjectsAsync(filters, limit, cancellationToken).ConfigureAwait(false), json, console, StateTables.Objects);
                    break;
                default:
                    Print(await state.PlacementGroupsAsync(filters, limit, cancellationToken).ConfigureAwait(false), json, console, StateTables.PlacementGroups);
                    break;
            }

            return 0;
        }

        private static void Print<T>(StateList<T> list, bool json, IAnsiConsole console, Action<IAnsiConsole, IReadOnlyList<T>> table)
        {
            Warn(list.Warnings);
            if (list.Truncated)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"warning: showing {list.Rows.Count} of {list.Total} rows (the limit); raise --limit or add --filter to see the others."));
            }

            if (json)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(list.Rows, Json));
            }
            else
            {
                table(console, list.Rows);
            }
        }

        private static void Warn(IReadOnlyList<string> warnings)
        {
            foreach (var warning in warnings)
            {
                Console.Error.WriteLine("warning: " + warning);
            }
        }

        private List<StateFilter> Filters(ParseResult parse)
        {
            if (_kind == Kind.Get)
            {
                return [];
            }

            var filters = new List<StateFilter>();
            foreach (var text in parse.GetValue(_filter) ?? [])
            {
                try
                {
                    filters.Add(StateFilter.Parse(text));
                }
                catch (ArgumentException)
                {
                    throw CliException.Usage($"--filter '{text}': expected key=value or key!=value, e.g. --filter {FilterExample(_resource)}; keys of {StateColumns.CliName(_resource)}: {string.Join(", ", StateColumns.Keys(_resource))}.");
                }
            }

            try
            {
                StateColumns.Validate(_resource, filters);
            }
            catch (ArgumentException ex)
            {
                // "Filter key 'x' is not a column …" reads "--filter key 'x' is not a column …" after the option's name.
                var message = ex.Message.Split(" (Parameter", 2)[0];
                throw CliException.Usage("--filter " + (message.StartsWith("Filter ", StringComparison.Ordinal) ? message["Filter ".Length..] : message));
            }

            return filters;
        }

        /// <summary>A filter that <paramref name="resource"/> takes (its key and one of its values), for help and errors.</summary>
        internal static string FilterExample(StateResource resource) => resource switch
        {
            StateResource.Nodes => "state=ALIVE",
            StateResource.Jobs => "status=FAILED",
            StateResource.Actors => "state=DEAD",
            StateResource.Tasks => "state=FAILED",
            StateResource.Objects => "reference_type=PINNED_IN_MEMORY",
            StateResource.PlacementGroups => "state=CREATED",
            _ => "state=FAILED",
        };
    }
}
