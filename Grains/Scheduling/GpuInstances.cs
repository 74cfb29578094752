namespace OrleansRay.Scheduling;

/// <summary>One scope's GPU instances, each with the fraction of it not taken: the node's unreserved GPUs, or the GPUs a
/// placement-group bundle reserved (Ray's resource instances, which give each task and actor the ids
/// <c>ray.get_gpu_ids()</c> returns).</summary>
/// <remarks>
/// A request of a whole number of GPUs takes that many whole instances, lowest ids first; a fraction below one shares one
/// instance, the fullest that still has room (best fit, so fractions pack onto few GPUs and leave whole ones whole); a
/// request above one with a fraction takes the whole ones and the fraction on one more. Ids are device ordinals as the
/// node process sees its GPUs (0 to n - 1). Not thread-safe: the scheduler engine's lock guards it.
/// </remarks>
internal sealed class GpuInstances
{
    /// <summary>Amounts within this of a need count as meeting it (fractions are added and taken back many times).</summary>
    private const double Slack = 1e-9;

    private readonly int[] _ids;
    private readonly double[] _free;

    private GpuInstances(int[] ids, double[] free)
    {
        _ids = ids;
        _free = free;
    }

    /// <summary>A node's <paramref name="gpus"/> GPUs as instances 0 to ceiling(gpus) - 1; a fraction of one (an embedded
    /// driver given <c>NumGpus = 0.5</c>) is the last instance's size.</summary>
    public static GpuInstances ForNode(double gpus)
    {
        var count = (int)Math.Ceiling(gpus - ResourceSet.Epsilon);
        var ids = new int[Math.Max(count, 0)];
        var free = new double[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = i;
            free[i] = Math.Min(1, gpus - i);
        }

        return new GpuInstances(ids, free);
    }

    /// <summary>The instances a bundle reserved, each as large as the part of it the bundle holds.</summary>
    public static GpuInstances ForBundle(GpuGrant reserved)
    {
        var parts = reserved.Parts;
        var ids = new int[parts.Length];
        var free = new double[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            ids[i] = parts[i].Id;
            free[i] = parts[i].Amount;
        }

        return new GpuInstances(ids, free);
    }

    /// <summary>True when <paramref name="amount"/> GPUs can be taken here now.</summary>
    public bool Fits(double amount) => Pick(amount) is not null;

    /// <summary>Takes <paramref name="amount"/> GPUs; null when they do not fit now (check with <see cref="Fits"/>).</summary>
    public (GpuInstances Set, int Id, double Amount)[]? Take(double amount)
    {
        if (Pick(amount) is not { } picked)
        {
            return null;
        }

        var parts = new (GpuInstances, int, double)[picked.Length];
        for (var i = 0; i < picked.Length; i++)
        {
            var (slot, part) = picked[i];
            _free[slot] -= part;
            parts[i] = (this, _ids[slot], part);
        }

        return parts;
    }

    /// <summary>Gives back what <see cref="Take"/> took of instance <paramref name="id"/>.</summary>
    public void Return(int id, double amount)
    {
        var slot = Array.IndexOf(_ids, id);
        if (slot >= 0)
        {
            _free[slot] += amount;
        }
    }

    /// <summary>The instances (by slot) and amounts a request of <paramref name="amount"/> would take; null when it does
    /// not fit.</summary>
    private (int Slot, double Amount)[]? Pick(double amount)
    {
        var whole = (int)Math.Floor(amount + ResourceSet.Epsilon);
        var fraction = amount - whole;
        if (fraction < ResourceSet.Epsilon)
        {
            fraction = 0;
        }

        var picked = new (int Slot, double Amount)[whole + (fraction > 0 ? 1 : 0)];
        var n = 0;
        for (var slot = 0; slot < _free.Length && n < whole; slot++)
        {
            if (_free[slot] >= 1 - Slack)
            {
                picked[n++] = (slot, 1);
            }
        }

        if (n < whole)
        {
            return null;
        }

        if (fraction > 0)
        {
            var best = -1;
            for (var slot = 0; slot < _free.Length; slot++)
            {
                if (_free[slot] + Slack >= fraction && !Taken(picked, n, slot) && (best < 0 || _free[slot] < _free[best]))
                {
                    best = slot;
                }
            }

            if (best < 0)
            {
                return null;
            }

            picked[n] = (best, fraction);
        }

        return picked;
    }

    private static bool Taken((int Slot, double Amount)[] picked, int count, int slot)
    {
        for (var i = 0; i < count; i++)
        {
            if (picked[i].Slot == slot)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>The GPU instances one lease, actor or bundle holds: which instance of which scope, and how much of it.</summary>
internal sealed class GpuGrant
{
    public GpuGrant((GpuInstances Set, int Id, double Amount)[] parts)
    {
        Parts = parts;
        var ids = new SortedSet<int>();
        foreach (var part in parts)
        {
            ids.Add(part.Id);
        }

        Ids = [.. ids];
    }

    /// <summary>What is held of each instance, and of which scope it was taken.</summary>
    public (GpuInstances Set, int Id, double Amount)[] Parts { get; }

    /// <summary>The instances' ids, ascending (<c>RayContext.GpuIds</c>).</summary>
    public IReadOnlyList<int> Ids { get; }

    /// <summary>Gives every part back to the scope it was taken from (a bundle's scope dropped since takes it harmlessly).</summary>
    public void Return()
    {
        foreach (var (set, id, amount) in Parts)
        {
            set.Return(id, amount);
        }
    }
}
