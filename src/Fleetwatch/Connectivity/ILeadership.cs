namespace Fleetwatch.Connectivity;

/// <summary>
/// Whether this node records what only one node may (connectivity transitions, inactivity alerts): every node tracks,
/// one writes. SQLite has one node; on PostgreSQL the node holding an advisory lock does.
/// </summary>
public interface ILeadership
{
    bool IsLeader { get; }
}

/// <summary>The one node of an embedded database.</summary>
public sealed class SoleNode : ILeadership
{
    public bool IsLeader => true;
}
