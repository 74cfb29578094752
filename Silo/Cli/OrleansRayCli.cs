using System.CommandLine;
using OrleansRay.Silo.Commands;
using OrleansRay.Silo.Storage;

namespace OrleansRay.Silo.Cli;

/// <summary>The <c>orleansray</c> command line: one command class per verb.</summary>
internal static partial class OrleansRayCli
{
    /// <summary>Set to print the full exception of an unexpected failure.</summary>
    public const string DebugVariable = "ORLEANSRAY_DEBUG";

    public static RootCommand Build() =>
        new RootCommand("orleansray: start, watch and stop an OrleansRay cluster (Ray's programming model on Microsoft Orleans).")
        {
            new StartCommand(),
            new StatusCommand(),
            new StopCommand(),
            new UpCommand(),
            new DownCommand(),
            new JobCommand(),
            new LogsCommand(),
            StateCommands.List(),
            StateCommands.Get(),
            StateCommands.Summary(),
            StateCommands.Memory(),
            StateCommands.Timeline(),
        }.WithHelpName("orleansray").WithEnvironmentHelp();

    // The assembly is OrleansRay.Cli; people type `orleansray`.
    private static RootCommand WithHelpName(this RootCommand root, string name)
    {
        root.HelpName = name;
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            // Our own handler prints failures as one line; SIGTERM and Ctrl+C are left to the node's host, which stops
            // the silo cleanly (System.CommandLine would end the process after a fixed timeout instead).
            var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
            var parse = Build().Parse(args);
            if (parse.Errors.Count > 0)
            {
                // An unknown verb or option, a value of the wrong type: one line saying what and what to do, like every
                // other bad input (System.CommandLine would print its own message, then a page of help).
                await Console.Error.WriteLineAsync("error: " + ParseErrors.Describe(parse)).ConfigureAwait(false);
                return CliException.UsageExitCode;
            }

            return await parse.InvokeAsync(configuration).ConfigureAwait(false);
        }
        catch (CliException ex)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
            return ex.ExitCode;
        }
        catch (StorageSetupException ex)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
            return CliException.FailureExitCode;
        }
        catch (Exception ex) when (ex is FileLoadException or BadImageFormatException
            || (ex is FileNotFoundException && ex.Message.StartsWith("Could not load file or assembly", StringComparison.Ordinal)))
        {
            // An assembly that cannot be loaded is not a folder that cannot be written: say which, and why.
            await Console.Error.WriteLineAsync($"error: {ex.Message} (an assembly could not be loaded; with --load, check that the application's dependencies are next to its .dll)").ConfigureAwait(false);
            return CliException.FailureExitCode;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Most file errors a command meets unannounced are in its own folder; the ones in the user's files (a job's
            // working dir) are caught where they happen and named.
            await Console.Error.WriteLineAsync($"error: {ex.Message.TrimEnd('.', ' ')}. Check that {CliPaths.Current.Root} is writable, or set {CliPaths.TempDirVariable} to a folder that is.").ConfigureAwait(false);
            return CliException.FailureExitCode;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Unexpected: still one line; the details on request.
            var details = Environment.GetEnvironmentVariable(DebugVariable) is { Length: > 0 };
            await Console.Error.WriteLineAsync(details ? "error: " + ex : UnexpectedLine(ex)).ConfigureAwait(false);
            return CliException.FailureExitCode;
        }
    }

    /// <summary>An unexpected failure as one line: its type and its message's first line (Orleans' messages carry the
    /// inner exception's text and stack on the lines after), with what to do for a cluster call that found no node.</summary>
    internal static string UnexpectedLine(Exception ex)
    {
        var message = ex.Message.ReplaceLineEndings("\n");
        var firstLine = message.Split('\n', 2)[0].Trim();
        if (ex is not (Orleans.Runtime.OrleansMessageRejectionException or Orleans.Runtime.SiloUnavailableException))
        {
            return $"error: {ex.GetType().Name}: {firstLine} (set {DebugVariable}=1 for details)";
        }

        // Orleans names the silo it could not reach as "S<ip>:<port>:<generation>": say that in words, not its exception.
        var silo = UnreachableSilo().Match(firstLine);
        return silo.Success
            ? $"error: the node whose node port is {silo.Groups[1].Value} does not answer (it may have died). If it was the head, its control store went with it: start the head again (`orleansray start --head`); workers without --storage exit within 60 s of losing it. Otherwise check `orleansray status` against another node, and the nodes' logs (`orleansray logs`). (set {DebugVariable}=1 for details)"
            : $"error: {ex.GetType().Name}: {firstLine} A node the command needed does not answer: check `orleansray status` against another node, and the nodes' logs (`orleansray logs`). (set {DebugVariable}=1 for details)";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"Unable to connect to (?:endpoint )?S(\d{1,3}(?:\.\d{1,3}){3}:\d+):\d+")]
    private static partial System.Text.RegularExpressions.Regex UnreachableSilo();
}
