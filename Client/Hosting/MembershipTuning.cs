using Orleans.Configuration;

namespace OrleansRay.Hosting;

/// <summary>Orleans membership settings of every OrleansRay node (the <c>orleansray</c> nodes and the embedded one):
/// a node that dies without leaving (kill -9, power loss) is declared dead within a few seconds instead of Orleans'
/// default 11–15 s, so its tasks are re-run and its actors restarted promptly (issue 4: "declared dead within 10 s").</summary>
/// <remarks>
/// How a silo is declared dead: each silo probes <see cref="ClusterMembershipOptions.NumProbedSilos"/> others; a probe
/// that gets no answer within the (adaptive) probe timeout is missed; after
/// <see cref="ClusterMembershipOptions.NumMissedProbesLimit"/> missed probes in a row the prober votes the silo suspect,
/// and <see cref="ClusterMembershipOptions.NumVotesForDeathDeclaration"/> votes (fewer when fewer silos are left to
/// vote) declare it dead; gossip tells the rest at once. Measured on this project's 2-core machine (ORLEANS-NOTES.md):
/// defaults 11–15 s, <c>ProbeTimeout = 1 s</c> 2.3–2.8 s from SIGKILL to "dead" on every surviving silo.
/// </remarks>
internal static class MembershipTuning
{
    /// <summary>Applies OrleansRay's membership settings; pass to <c>Configure&lt;ClusterMembershipOptions&gt;</c>.</summary>
    public static void Apply(ClusterMembershipOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);

        // The initial probe timeout, and (as Orleans derives it) the period between probes. Default 5 s makes detection
        // take 11-15 s; 1 s measured 2.3-2.8 s. Orleans adapts the effective timeout per monitored silo between
        // MinProbeTimeout (0.5 s) and MaxProbeTimeout (4 s) from observed probe round trips, and extends it while this
        // silo itself is degraded (ExtendProbeTimeoutDuringDegradation), so a busy node on 2 cores is not voted out by a
        // slow answer. A loopback or LAN probe answers in well under a millisecond when the node is alive.
        o.ProbeTimeout = TimeSpan.FromSeconds(1);

        // Three missed probes in a row before a vote (Orleans' default, kept deliberately): one or two missed probes
        // happen with a GC pause or a starved thread pool on a saturated 2-core machine; three at 1 s each bound the
        // worst case at ~3-4 s per prober, still well inside the 10 s budget. A killed process refuses connections at
        // once, so its probes fail fast rather than by timeout.
        o.NumMissedProbesLimit = 3;

        // Every silo watches up to 3 others (default): in the clusters OrleansRay targets (a handful of nodes) that is
        // every peer, so the death of any node is seen by all the silos that can vote on it.
        o.NumProbedSilos = 3;

        // Two votes declare a silo dead (default): one confused prober cannot evict a healthy node. Orleans needs fewer
        // when fewer silos are alive to vote (a head with one worker), so a 2-node cluster still detects a death.
        o.NumVotesForDeathDeclaration = 2;

        // Votes older than this are ignored (default 2 min would let two suspicions minutes apart add up to a death).
        // 30 s is several full detection rounds, so a real death always gathers its votes in time.
        o.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(30);

        // How often each silo re-reads the whole membership table besides gossip (default 60 s). Gossip carries every
        // change at once; this is the backstop when a gossip message is lost, and 10 s keeps that backstop inside the
        // failure budget at the cost of one small table read per node every 10 s.
        o.TableRefreshTimeout = TimeSpan.FromSeconds(10);
    }
}
