namespace OrleansRay.Transport;

/// <summary>Which machine (and boot of it) this process runs on: two processes with the same value share its memory,
/// so one may map the other's object store.</summary>
internal static class MachineIdentity
{
    /// <summary>The host name and, on Linux, the kernel's boot id.</summary>
    public static string Value { get; } = Compute();

    private static string Compute()
    {
        var boot = string.Empty;
        try
        {
            const string bootId = "/proc/sys/kernel/random/boot_id";
            if (File.Exists(bootId))
            {
                boot = File.ReadAllText(bootId).Trim();
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return Environment.MachineName + "/" + boot;
    }
}
