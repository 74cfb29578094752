using System.Globalization;
using OrleansRay.Silo.Cli;

namespace OrleansRay.Silo.Hosting;

/// <summary>When a node's log rotates: <see cref="MaxBytes"/> (0: never) and the parts kept besides the current one,
/// <see cref="BackupCount"/>. Read from <see cref="MaxBytesVariable"/> and <see cref="BackupCountVariable"/>, Ray's
/// <c>RAY_ROTATION_MAX_BYTES</c> and <c>RAY_ROTATION_BACKUP_COUNT</c> with their defaults.</summary>
/// <param name="MaxBytes">Size in bytes at which the log rotates; 0 never rotates. Default 512 MiB.</param>
/// <param name="BackupCount">Rotated parts kept (<c>.1</c> newest … <c>.N</c> oldest); 0 keeps none. Default 5.</param>
internal readonly record struct LogRotationSettings(long MaxBytes, int BackupCount)
{
    /// <summary>Environment variable: bytes at which a node's log rotates (0: never).</summary>
    public const string MaxBytesVariable = "ORLEANSRAY_ROTATION_MAX_BYTES";

    /// <summary>Environment variable: rotated parts of a node's log kept.</summary>
    public const string BackupCountVariable = "ORLEANSRAY_ROTATION_BACKUP_COUNT";

    /// <summary>Ray's defaults: 512 MiB, 5 parts.</summary>
    public static LogRotationSettings Default { get; } = new(512L << 20, 5);

    /// <summary>The settings the environment gives (unset or blank: the default).</summary>
    /// <param name="lookup">Reads a variable; null: this process's environment.</param>
    /// <exception cref="CliException">A variable is not a whole number from 0 up (the backup count: up to 1,000); a usage
    /// error, one line naming the variable.</exception>
    public static LogRotationSettings FromEnvironment(Func<string, string?>? lookup = null)
    {
        lookup ??= Environment.GetEnvironmentVariable;
        return new(Read(lookup, MaxBytesVariable, Default.MaxBytes, long.MaxValue), (int)Read(lookup, BackupCountVariable, Default.BackupCount, 1000));
    }

    private static long Read(Func<string, string?> lookup, string variable, long fallback, long max)
    {
        var text = lookup(variable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > max)
        {
            throw CliException.Usage($"{variable}={text} is not a whole number from 0 to {max.ToString(CultureInfo.InvariantCulture)}; unset it for the default ({fallback.ToString(CultureInfo.InvariantCulture)}).");
        }

        return value;
    }
}
