using System.Globalization;
using System.Text;

namespace OrleansRay;

/// <summary>A node of the cluster (Ray's <c>ray.nodes()</c> entry).</summary>
/// <param name="Id">The node's id (its silo address with the silo's generation, as <c>NodeAffinity</c> takes it).</param>
/// <param name="Address">Its silo address, HOST:PORT@GENERATION: the port nodes talk to each other on, not the gateway a
/// driver connects to (<c>orleansray list nodes</c> shows that one).</param>
/// <param name="IsAlive">False once it left or was declared dead.</param>
/// <param name="Resources">Its total resources.</param>
/// <param name="AvailableResources">Its free resources at its last report.</param>
public sealed record NodeInfo(NodeId Id, string Address, bool IsAlive, IReadOnlyDictionary<string, double> Resources, IReadOnlyDictionary<string, double> AvailableResources)
{
    /// <summary>True for the head node (Ray's <c>is_head_node</c>): the node started with <c>orleansray start --head</c>,
    /// or the embedded node; where no node was started so (silos an application hosts), the one the control store lives
    /// on.</summary>
    public bool IsHeadNode { get; init; }

    /// <summary>The address drivers connect to ("HOST:PORT", <c>RayOptions.Address</c>), as <c>orleansray status</c> and
    /// <c>list nodes</c> show the node: match a node to the CLI's rows by this, not by <see cref="Address"/> (the silo
    /// port). Null for a node with no gateway (a silo an application hosts without one).</summary>
    public string? GatewayAddress { get; init; }

    /// <summary>The members as <c>ToString()</c> prints them, the resources as <c>{CPU: 2, GPU: 1}</c>.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Id = {Id}, Address = {Address}, GatewayAddress = {GatewayAddress ?? "null"}, IsAlive = {IsAlive}, IsHeadNode = {IsHeadNode}, ");
        builder.Append(CultureInfo.InvariantCulture, $"Resources = {Describe(Resources)}, AvailableResources = {Describe(AvailableResources)}");
        return true;
    }

    private static string Describe(IReadOnlyDictionary<string, double>? resources) =>
        "{" + string.Join(", ", (resources ?? new Dictionary<string, double>()).OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Key}: {r.Value}"))) + "}";
}
