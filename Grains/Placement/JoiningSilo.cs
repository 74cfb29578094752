using Orleans.Runtime;

namespace OrleansRay.Placement;

/// <summary>Waits for a silo that the scheduler already chose, but that this silo cannot place grains on yet, to become
/// a placement target: a node that just joined is listed alive (the node table, membership) a moment before the
/// silos have fetched its grain types (Orleans' cluster manifest), and until then Orleans' compatible silos leave it out.
/// Placing elsewhere meanwhile would start an actor on a node the scheduler did not choose, one that may lack the
/// actor's resources for good.</summary>
internal static class JoiningSilo
{
    /// <summary>How long placement waits, at most, for a chosen silo that may still be joining (30 s: a silo fetches a
    /// newcomer's manifest within a second or two when idle; much more under load).</summary>
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(30);

    /// <summary>How long placement waits, at most, for a silo this silo's membership view does not list at all: a silo
    /// announces itself to the others as it joins, before it serves anything, so one still unknown after this is most
    /// likely no silo (a stale or made-up id), and its creation should fail soon, not after <see cref="DefaultWait"/>.</summary>
    public static readonly TimeSpan UnknownWait = TimeSpan.FromSeconds(5);

    /// <summary>How often the compatible silos are read again while waiting.</summary>
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>Returns true once <paramref name="compatible"/> lists <paramref name="silo"/>; false at once when
    /// membership has it leaving or dead, or when <paramref name="wait"/> passes first (<see cref="UnknownWait"/> while
    /// membership does not list it at all).</summary>
    /// <param name="silo">The silo the scheduler chose.</param>
    /// <param name="compatible">Reads the silos a grain may be placed on now (<c>IPlacementContext.GetCompatibleSilos</c>).</param>
    /// <param name="status">This silo's view of <paramref name="silo"/>'s membership status.</param>
    /// <param name="wait">The most to wait.</param>
    public static async Task<bool> WaitUntilCompatibleAsync(SiloAddress silo, Func<SiloAddress[]> compatible, Func<SiloAddress, SiloStatus> status, TimeSpan wait)
    {
        if (compatible().Contains(silo))
        {
            return true;
        }

        var started = TimeProvider.System.GetTimestamp();
        var unknownWait = wait < UnknownWait ? wait : UnknownWait;
        while (true)
        {
            var now = status(silo);
            var waited = TimeProvider.System.GetElapsedTime(started);
            if (!MayStillJoin(now) || waited >= wait || (now == SiloStatus.None && waited >= unknownWait))
            {
                return false;
            }

            await Task.Delay(Interval).ConfigureAwait(false);
            if (compatible().Contains(silo))
            {
                return true;
            }
        }
    }

    /// <summary>True for a silo that is, or may soon be, active: not yet seen by this silo's membership view (None), or
    /// starting, or active (its manifest not fetched yet). A silo leaving or dead will never be a target.</summary>
    private static bool MayStillJoin(SiloStatus status) =>
        status is SiloStatus.None or SiloStatus.Created or SiloStatus.Joining or SiloStatus.Active;
}
