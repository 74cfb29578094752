using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace OrleansRay.Silo.Cli;

/// <summary>Turns System.CommandLine's parse errors into the one line every other bad input gets: what was wrong, and
/// what to do (never a .NET type name, never a page of help).</summary>
internal static partial class ParseErrors
{
    /// <summary>The one line (without "error: ") for the first error of <paramref name="parse"/>.</summary>
    /// <param name="parse">A parse result with at least one error.</param>
    public static string Describe(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var command = parse.CommandResult.Command;
        var path = CommandPath(parse.CommandResult);
        var help = $"`{path} --help` shows the usage.";
        foreach (var error in parse.Errors)
        {
            if (CannotParse().Match(error.Message) is { Success: true } match)
            {
                var kind = KindOf(match.Groups["type"].Value);
                var name = match.Groups["name"].Value;
                if (kind == "a whole number" && WholeNumber().IsMatch(match.Groups["value"].Value))
                {
                    // A whole number all the same, beyond what the option's type holds: say the range, not the kind.
                    return $"{name} '{match.Groups["value"].Value}': out of range; {RangeOf(name, match.Groups["type"].Value)}. {help}";
                }

                return $"{name} '{match.Groups["value"].Value}': expected {kind}, e.g. {name} {Example(name, kind)}. {help}";
            }
        }

        if (parse.UnmatchedTokens.Count > 0)
        {
            var token = parse.UnmatchedTokens[0];
            if (token.StartsWith('-'))
            {
                return UnknownOption(parse, token);
            }

            if (FlagBefore(parse, token) is { } flag)
            {
                return $"{flag.Name} is a flag: it takes true or false, not '{token}'; give {flag.Name} alone for true. {help}";
            }

            var verbs = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
            if (verbs.Count > 0)
            {
                // A verb the token begins ("stat" of "status") before the nearest by edit distance ("start").
                var closest = verbs.FirstOrDefault(v => token.Length >= 2 && v.StartsWith(token, StringComparison.Ordinal))
                    ?? verbs.OrderBy(v => EditDistance.Between(v, token)).First();
                var hint = closest.StartsWith(token, StringComparison.Ordinal) || EditDistance.Between(closest, token) <= 2 ? $" Did you mean `{path} {closest}`?" : string.Empty;
                return $"unknown command '{token}' for `{path}` (commands: {string.Join(", ", verbs)}).{hint} {help}";
            }

            return $"unexpected argument '{token}' for `{path}`. {help}";
        }

        if (command.Subcommands.Count > 0 && parse.Errors.Any(e => e.SymbolResult is CommandResult && e.Message.Contains("command", StringComparison.OrdinalIgnoreCase)))
        {
            return $"`{path}` needs a command: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}. {help}";
        }

        var first = parse.Errors[0];
        var option = OptionOf(first.SymbolResult);
        if (option is not null && first.Message.StartsWith("Required argument missing", StringComparison.Ordinal))
        {
            return $"{option.Name} needs a value. {help}";
        }

        return option is null
            ? $"{first.Message.TrimEnd('.')}. {help}"
            : $"{option.Name}: {first.Message.TrimEnd('.')}. {help}";
    }

    /// <summary>The one line (without "error: ") for <paramref name="token"/>, an option the command of
    /// <paramref name="parse"/> does not have: with the option it was likely meant to be, when one is close
    /// (<c>--wokring-dir</c>: <c>--working-dir</c>).</summary>
    /// <param name="parse">The parse the token is from.</param>
    /// <param name="token">The unknown option as typed (a <c>=value</c> after it is left out of the message).</param>
    public static string UnknownOption(ParseResult parse, string token)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(token);
        var path = CommandPath(parse.CommandResult);
        var name = token.Split('=', 2)[0];
        var names = parse.CommandResult.Command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal)).Distinct().ToList();
        // An option the token begins (--work of --working-dir) when only one does, else the nearest within 2 edits.
        var begun = name.Length > 3 ? names.Where(n => n.StartsWith(name, StringComparison.Ordinal)).ToList() : [];
        var closest = begun.Count == 1 ? begun[0] : names.Where(n => EditDistance.Between(n, name) <= 2).OrderBy(n => EditDistance.Between(n, name)).FirstOrDefault();
        var hint = closest is null ? string.Empty : $" Did you mean `{closest}`?";
        return $"unknown option '{name}' for `{path}`.{hint} `{path} --help` shows the usage.";
    }

    /// <summary>What a value of the option's .NET type (System.CommandLine's "System.Int32", "System.Boolean", ...) must
    /// look like, in the user's words.</summary>
    private static string KindOf(string type)
    {
        bool Is(params string[] names) => names.Any(n => type.Contains(n, StringComparison.Ordinal));
        return Is("Boolean") ? "true or false"
            : Is("Int", "Long") ? "a whole number"
            : Is("Double", "Decimal", "Single") ? "a number"
            : "a valid value";
    }

    /// <summary>The values <paramref name="name"/> takes, for a whole number too large for its type.</summary>
    private static string RangeOf(string name, string type) => name switch
    {
        "--limit" => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"give 1 to {OrleansRay.Node.ClusterState.MaxLimit}"),
        _ when name.EndsWith("-port", StringComparison.Ordinal) => "a TCP port is 1-65535",
        _ when type.Contains("Int64", StringComparison.Ordinal) || type.Contains("Long", StringComparison.Ordinal) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"expected a whole number from {long.MinValue} to {long.MaxValue}"),
        _ => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"expected a whole number from {int.MinValue} to {int.MaxValue}"),
    };

    /// <summary>A value that <paramref name="name"/> would accept: "--object-store-memory 4" or "--port 4" would be
    /// refused or useless, so options in bytes and ports get examples of their own.</summary>
    private static string Example(string name, string kind) => name switch
    {
        "--memory" or "--object-store-memory" => "268435456",
        "--max-upload" => "104857600",
        "--code-cache-bytes" => "1073741824",
        "--port" => "30000",
        "--node-port" => "30001",
        "--dashboard-port" => "8265",
        _ => kind switch
        {
            "a valid value" => "<value>",
            "true or false" => "true",
            _ => "4",
        },
    };

    /// <summary>The true/false option written just before <paramref name="token"/> ("--insecure yes"): the parser leaves a
    /// value it cannot read as a boolean unmatched, so the error is the flag's, not an unexpected argument's.</summary>
    private static Option? FlagBefore(ParseResult parse, string token)
    {
        var tokens = parse.Tokens;
        for (var i = 1; i < tokens.Count; i++)
        {
            if (tokens[i].Value == token && tokens[i - 1].Type == TokenType.Option)
            {
                var name = tokens[i - 1].Value;
                return parse.CommandResult.Command.Options.FirstOrDefault(o =>
                    (o.Name == name || o.Aliases.Contains(name)) && o.ValueType == typeof(bool));
            }
        }

        return null;
    }

    private static Option? OptionOf(SymbolResult? result)
    {
        for (var at = result; at is not null; at = at.Parent)
        {
            if (at is OptionResult option)
            {
                return option.Option;
            }
        }

        return null;
    }

    /// <summary>"orleansray job submit" for the command a parse ended in.</summary>
    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? at = result; at is not null; at = at.Parent)
        {
            if (at is CommandResult command)
            {
                names.Add(command.Parent is null ? "orleansray" : command.Command.Name);
            }
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    [GeneratedRegex(@"^[+-]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex WholeNumber();

    [GeneratedRegex("^Cannot parse argument '(?<value>.*)' for (option|command|argument) '(?<name>[^']*)' as expected type '(?<type>[^']*)'", RegexOptions.CultureInvariant)]
    private static partial Regex CannotParse();
}
