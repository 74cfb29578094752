namespace OrleansRay;

/// <summary>Builds and caches resource shapes from options, so the common shapes cost no allocation per call.</summary>
internal static class ResourceShape
{
    public static readonly ResourceSet OneCpu = ResourceSet.From(new[] { new KeyValuePair<string, double>(ResourceSet.Cpu, 1) });

    public static ResourceSet Build(double cpus, double gpus, long memory, Dictionary<string, double> custom, string owner)
    {
        Check(cpus, "NumCpus", owner);
        Check(gpus, "NumGpus", owner);
        if (gpus > 1 && Math.Abs(gpus - Math.Round(gpus)) > ResourceSet.Epsilon)
        {
            // A GPU is an instance a task holds whole or shares (Ray's unit-instance resources): 1.5 would be one GPU and half of another.
            throw new ArgumentOutOfRangeException("NumGpus", gpus,
                $"{owner}.NumGpus is {gpus.ToString(System.Globalization.CultureInfo.InvariantCulture)}: above 1, ask for a whole number of GPUs, as Ray does; a fraction below 1 shares one GPU with other work.");
        }
        if (memory < 0)
        {
            throw new ArgumentOutOfRangeException("Memory", memory, $"{owner}.Memory must be >= 0 bytes.");
        }

        if (custom.Count == 0 && gpus == 0 && memory == 0)
        {
            if (cpus == 1)
            {
                return OneCpu;
            }

            if (cpus == 0)
            {
                return ResourceSet.Empty;
            }
        }

        var items = new List<KeyValuePair<string, double>>(custom.Count + 3)
        {
            new(ResourceSet.Cpu, cpus),
            new(ResourceSet.Gpu, gpus),
            new(ResourceSet.Memory, memory),
        };
        foreach (var (name, amount) in custom)
        {
            CheckCustom(name, amount, owner);
            items.Add(new(name, amount));
        }

        return ResourceSet.From(items);
    }

    /// <summary>Refuses a custom resource <see cref="ResourceSet.From"/> would refuse, or one that has its own option, with
    /// one message that names the option (its parameter name is "Resources", as the others are named by their option).</summary>
    private static void CheckCustom(string name, double amount, string owner)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException($"{owner}.Resources has an empty resource name: name every custom resource.", "Resources");
        }

        if (name is ResourceSet.Cpu or ResourceSet.Gpu or ResourceSet.Memory)
        {
            throw new ArgumentException($"{owner}.Resources[\"{name}\"]: use {owner}.{(name == ResourceSet.Memory ? "Memory" : name == ResourceSet.Cpu ? "NumCpus" : "NumGpus")} for {name}.", "Resources");
        }

        if (double.IsNaN(amount) || double.IsInfinity(amount) || amount < 0)
        {
            throw new ArgumentException($"{owner}.Resources[\"{name}\"] is {amount.ToString(System.Globalization.CultureInfo.InvariantCulture)}: amounts must be finite and >= 0.", "Resources");
        }
    }

    /// <summary>What a task or actor asks for and where it goes: inside <paramref name="group"/>, its shape takes the
    /// bundle's resource names (Ray's renaming); with no group and no <paramref name="strategy"/> given, the group of the
    /// running task or actor when that one captures its children (<see cref="GroupCapture"/>); else the shape unchanged
    /// and the strategy's hint.</summary>
    /// <exception cref="ArgumentException">The bundle index is out of range, or the bundle (any bundle of a captured
    /// child's group) cannot hold the shape.</exception>
    public static (ResourceSet Resources, PlacementHint Placement) Place(ResourceSet shape, PlacementGroup? group, int bundleIndex, bool captureChildTasks, SchedulingStrategy? strategy, string owner)
    {
        if (group is not null)
        {
            return (group.Rename(shape, bundleIndex, owner), group.ToHint(bundleIndex, shape.IsEmpty, captureChildTasks));
        }

        if (strategy is null && GroupCapture.Current() is { } captured)
        {
            return GroupCapture.Place(shape, captured, owner);
        }

        return (shape, (strategy ?? SchedulingStrategy.Default).ToHint());
    }

    /// <summary>Checks the placement-group options against each other (Ray refuses the same combinations).</summary>
    public static void CheckGroupOptions(PlacementGroup? group, int bundleIndex, bool captureChildTasks, SchedulingStrategy? strategy, string owner)
    {
        if (group is null)
        {
            if (bundleIndex != -1)
            {
                throw new ArgumentException($"{owner}.BundleIndex is {bundleIndex} but {owner}.PlacementGroup is not set; set both, or leave BundleIndex at -1.", "BundleIndex");
            }

            if (captureChildTasks)
            {
                throw new ArgumentException($"{owner}.PlacementGroupCaptureChildTasks is true but {owner}.PlacementGroup is not set: set the group whose bundles the children should use, or leave it false.", "PlacementGroupCaptureChildTasks");
            }

            return;
        }

        if (strategy is not null && strategy != SchedulingStrategy.Default)
        {
            throw new ArgumentException($"{owner}.PlacementGroup and {owner}.SchedulingStrategy = {strategy} cannot be combined: the group decides where it runs.", "SchedulingStrategy");
        }

        if (bundleIndex < -1 || bundleIndex >= group.BundleCount)
        {
            throw new ArgumentException($"{owner}.BundleIndex is {bundleIndex}, but {group} has bundles 0 to {group.BundleCount - 1} (or -1 for any bundle).", "BundleIndex");
        }
    }

    private static void Check(double value, string name, string owner)
    {
        if (value < 0 || double.IsNaN(value) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{owner}.{name} must be a finite number >= 0.");
        }
    }
}
