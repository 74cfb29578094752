using System.Globalization;
using Microsoft.Extensions.Options;

namespace OrleansRay.Hosting;

/// <summary>Refuses <see cref="RayNodeOptions"/> a node cannot run with, when the host starts; each failure names the
/// setting, the value, and what to give instead.</summary>
internal sealed class RayNodeOptionsValidator : IValidateOptions<RayNodeOptions>
{
    public ValidateOptionsResult Validate(string? name, RayNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.NumCpus is { } cpus && !IsAmount(cpus))
        {
            failures.Add($"RayNodeOptions.NumCpus is {Text(cpus)}: give a finite number >= 0, or leave it null for the machine's processor count.");
        }

        if (!IsAmount(options.NumGpus))
        {
            failures.Add($"RayNodeOptions.NumGpus is {Text(options.NumGpus)}: give a finite number >= 0.");
        }

        if (options.Memory is < 0)
        {
            failures.Add($"RayNodeOptions.Memory is {Text(options.Memory.Value)}: give bytes >= 0, or leave it null for 70% of physical memory.");
        }

        if (options.ObjectStoreMemory is < 0 or (> 0 and < RayOptions.MinObjectStoreMemory))
        {
            failures.Add($"RayNodeOptions.ObjectStoreMemory is {Text(options.ObjectStoreMemory.Value)} bytes: give 0 (no object store) or at least {Text(RayOptions.MinObjectStoreMemory)} bytes (32 MiB), or leave it null for 30% of physical memory.");
        }

        if (options.InlineThreshold < 0)
        {
            failures.Add($"RayNodeOptions.InlineThreshold is {Text(options.InlineThreshold)}: give bytes >= 0.");
        }

        if (options.CodeCacheBytes < 0)
        {
            failures.Add($"RayNodeOptions.CodeCacheBytes is {Text(options.CodeCacheBytes)}: give bytes >= 0 (0 keeps no unused code), or leave it at 1 GiB.");
        }

        if (options.CodePackageGrace <= TimeSpan.Zero)
        {
            failures.Add($"RayNodeOptions.CodePackageGrace is {options.CodePackageGrace}: give a positive time, or leave it at 10 minutes.");
        }

        if (string.IsNullOrWhiteSpace(options.Namespace))
        {
            failures.Add("RayNodeOptions.Namespace is empty: give a name, or leave it \"default\".");
        }

        foreach (var (resource, amount) in options.Resources)
        {
            if (string.IsNullOrWhiteSpace(resource))
            {
                failures.Add("RayNodeOptions.Resources has an empty name: name every custom resource.");
            }
            else if (IsReserved(resource))
            {
                failures.Add($"RayNodeOptions.Resources[\"{resource}\"]: set {resource} with its own option (NumCpus, NumGpus, Memory, ObjectStoreMemory), not as a custom resource.");
            }
            else if (!IsAmount(amount))
            {
                failures.Add($"RayNodeOptions.Resources[\"{resource}\"] is {Text(amount)}: give a finite number >= 0.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>True for the resources a node sets from its own options, which a custom resource may not name.</summary>
    public static bool IsReserved(string resource) =>
        resource is ResourceSet.Cpu or ResourceSet.Gpu or ResourceSet.Memory or ResourceSet.ObjectStoreMemory;

    private static bool IsAmount(double amount) => amount >= 0 && double.IsFinite(amount);

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}
