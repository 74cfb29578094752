using System.CommandLine;
using OrleansRay.Hosting;
using OrleansRay.ObjectStore.Security;

namespace OrleansRay.Silo.Cli;

/// <summary>Where a CLI process finds the cluster's auth token, and the two options every verb that reaches a cluster
/// takes (<c>--auth-token</c>, <c>--insecure</c>).</summary>
/// <remarks>Order: <c>--auth-token</c>, else <c>$ORLEANSRAY_AUTH_TOKEN</c>, else the token file the head wrote on this
/// machine (<see cref="CliPaths.TokenFile"/>, mode 0600, like the address file). <c>--insecure</c> (or
/// <c>$ORLEANSRAY_INSECURE</c> when neither option is given) takes none.</remarks>
internal static class AuthTokens
{
    /// <summary>A new <c>--auth-token</c> option.</summary>
    public static Option<string?> TokenOption() => new("--auth-token")
    {
        Description = $"The cluster's auth token (`orleansray start --head` printed it). Default: ${ClusterCredentials.TokenVariable}, else the token file of the head started on this machine. Prefer the variable: every user's `ps` shows arguments.",
    };

    /// <summary>A new <c>--insecure</c> option.</summary>
    public static Option<bool> InsecureOption(string description) => new("--insecure") { Description = description };

    /// <summary>Help of a client verb's <c>--insecure</c>.</summary>
    public const string InsecureClientHelp = "Connect without TLS or a token, to a cluster started with --insecure. Default: $ORLEANSRAY_INSECURE (true/false/1/0) unless --auth-token is given.";

    /// <summary>The token a verb sends to the head's HTTP API at <paramref name="url"/> as a bearer token: the one given
    /// (option, environment) or, only for a head on this machine (loopback, or the host of this machine's address
    /// file), the token file's; null with --insecure or when none applies (the head then answers 401 unless it runs
    /// --insecure). The token file's token is never sent to another host: it would go to whatever URL was typed.</summary>
    public static string? HttpToken(ParseResult parse, Option<string?> token, Option<bool> insecure, CliPaths paths, Uri url)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(url);
        if (IsInsecure(parse, token, insecure) || Find(parse.GetValue(token), paths) is not { } found)
        {
            return null;
        }

        if (found.Source == paths.TokenFile && !IsThisMachinesHead(url, paths))
        {
            return null;
        }

        if (ClusterCredentials.Problem(found.Token) is { } problem)
        {
            throw CliException.Usage($"{found.Source}: {problem}");
        }

        return found.Token;
    }

    private static bool IsThisMachinesHead(Uri url, CliPaths paths)
    {
        if (url.IsLoopback)
        {
            return true;
        }

        var address = paths.ReadAddress();
        var colon = address?.LastIndexOf(':') ?? -1;
        return colon > 0 && string.Equals(address![..colon].Trim('[', ']'), url.Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The credentials a client verb (status, job, a worker looking up its head) uses.</summary>
    /// <exception cref="CliException">No token is found (and not --insecure), or the one given is unusable.</exception>
    public static ClusterCredentials? ForClient(ParseResult parse, Option<string?> token, Option<bool> insecure, CliPaths paths)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.GetResult(insecure) is { Implicit: false } && parse.GetValue(insecure) && parse.GetValue(token) is not null)
        {
            throw CliException.Usage("--auth-token and --insecure: give one; --insecure is for a cluster started with --insecure.");
        }

        if (IsInsecure(parse, token, insecure))
        {
            return null;
        }

        return Find(parse.GetValue(token), paths) is { } found
            ? Parse(found.Token, found.Source)
            : throw CliException.Usage($"no auth token: give --auth-token TOKEN or set ${ClusterCredentials.TokenVariable} (the token `orleansray start --head` printed; on the head's machine it is in {paths.TokenFile}), or --insecure for a cluster started with --insecure.");
    }

    /// <summary>True when the verb connects without TLS or a token: <c>--insecure</c> when given (<c>--insecure false</c>
    /// too), else <c>$ORLEANSRAY_INSECURE</c> unless <c>--auth-token</c> is given: an explicit option wins over the
    /// variable.</summary>
    /// <exception cref="CliException">The variable is not true, false, 1 or 0, or it is true while
    /// <c>$ORLEANSRAY_AUTH_TOKEN</c> holds a token (one line naming the variable, exit 2).</exception>
    public static bool IsInsecure(ParseResult parse, Option<string?> token, Option<bool> insecure)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.GetResult(insecure) is { Implicit: false })
        {
            return parse.GetValue(insecure);
        }

        return parse.GetValue(token) is null && InsecureByEnvironment();
    }

    /// <summary><c>$ORLEANSRAY_INSECURE</c> read as drivers read it; a bad value is a one-line usage error.</summary>
    public static bool InsecureByEnvironment()
    {
        try
        {
            return ConnectedCluster.InsecureByEnvironment(Environment.GetEnvironmentVariable);
        }
        catch (ArgumentException ex)
        {
            throw CliException.Usage(ex.Message);
        }
    }

    /// <summary>The token given, else from the environment, else from this machine's token file; null when none.</summary>
    public static (string Token, string Source)? Find(string? given, CliPaths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (given is not null)
        {
            return (given.Trim(), "--auth-token");
        }

        if (Environment.GetEnvironmentVariable(ClusterCredentials.TokenVariable) is { Length: > 0 } fromEnvironment)
        {
            return (fromEnvironment.Trim(), "$" + ClusterCredentials.TokenVariable);
        }

        return paths.ReadToken() is { } fromFile ? (fromFile, paths.TokenFile) : null;
    }

    /// <summary>Credentials of <paramref name="token"/>; a one-line usage error naming <paramref name="source"/> when unusable.</summary>
    public static ClusterCredentials Parse(string token, string source)
    {
        if (ClusterCredentials.Problem(token) is { } problem)
        {
            throw CliException.Usage($"{source}: {problem}");
        }

        return ClusterCredentials.FromToken(token);
    }
}
