using System.CommandLine;
using System.CommandLine.Help;
using OrleansRay.ObjectStore.Security;
using OrleansRay.Silo.Commands;
using OrleansRay.Silo.Dashboard;
using OrleansRay.Silo.Hosting;

namespace OrleansRay.Silo.Cli;

/// <summary>The environment variables <c>orleansray start</c> reads, as a section of its <c>--help</c> after the options
/// (the settings that have no flag: log rotation, the head's upload limit, a worker's patience with a lost head).</summary>
internal static class EnvironmentHelp
{
    /// <summary>Name and meaning of each variable, in the order printed.</summary>
    internal static readonly (string Name, string Meaning)[] StartVariables =
    [
        (NodeSettings.StorageVariable, "The --storage value when --storage is not given (keeps a password out of `ps`)."),
        (ClusterCredentials.TokenVariable, "The cluster's token when --auth-token is not given."),
        (CliPaths.TempDirVariable, "Root of the session folders (logs, sockets, spilled objects). Default: /tmp/orleansray."),
        (OptionValues.ArenaDirectoryVariable, "Where the object store keeps its memory-mapped arena, and where stop removes killed stores' arenas (Ray's --plasma-directory): a tmpfs. Default: /dev/shm."),
        (LogRotationSettings.MaxBytesVariable, $"A background node's log rotates at this size, in bytes; 0 never. Default: {LogRotationSettings.Default.MaxBytes} (512 MiB)."),
        (LogRotationSettings.BackupCountVariable, $"Rotated log parts kept (.1 newest); 0 keeps none. Default: {LogRotationSettings.Default.BackupCount}."),
        (JobSubmissions.MaxUploadVariable, $"Head only: the largest working dir a job submitted over HTTP may upload, in bytes. Default: {WorkingDirPackage.DefaultMaxBytes} (100 MiB)."),
        (HeadWatch.LostAfterVariable, $"Workers of a cluster without --storage: seconds without the head before the node stops itself (connected drivers read it too, unless their RayOptions set ReconnectTimeout: how long until ClusterLostException fails the calls of a driver whose cluster went silent). Default: {HeadWatch.DefaultLostAfter.TotalSeconds}."),
    ];

    /// <summary>Adds the "Environment variables" section to the help of <paramref name="root"/>'s <c>start</c>: its help
    /// option's action prints System.CommandLine's page, then the section (the library's intended way to add to help).</summary>
    /// <returns><paramref name="root"/>.</returns>
    public static RootCommand WithEnvironmentHelp(this RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        if (help.Action is HelpAction inner)
        {
            help.Action = new WithEnvironment(inner);
        }

        return root;
    }

    /// <summary>The section's text: a heading, then each variable and its meaning, wrapped to <paramref name="width"/>
    /// columns under an indent.</summary>
    internal static string StartSection(int width)
    {
        const int Indent = 2;
        var nameWidth = StartVariables.Max(v => v.Name.Length) + 2;
        var text = new System.Text.StringBuilder("Environment variables:").AppendLine();
        foreach (var (name, meaning) in StartVariables)
        {
            var line = new System.Text.StringBuilder().Append(' ', Indent).Append(name.PadRight(nameWidth));
            foreach (var word in meaning.Split(' '))
            {
                if (line.Length + word.Length + 1 > width && line.Length > Indent + nameWidth)
                {
                    text.AppendLine(line.ToString().TrimEnd());
                    line.Clear().Append(' ', Indent + nameWidth);
                }

                line.Append(word).Append(' ');
            }

            text.AppendLine(line.ToString().TrimEnd());
        }

        return text.ToString();
    }

    private sealed class WithEnvironment(HelpAction inner) : System.CommandLine.Invocation.SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var exitCode = inner.Invoke(parseResult);
            if (parseResult.CommandResult.Command is StartCommand)
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine(StartSection(Console.IsOutputRedirected ? 120 : Math.Max(60, Console.WindowWidth)));
            }

            return exitCode;
        }
    }
}
