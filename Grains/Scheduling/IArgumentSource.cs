using OrleansRay.Ownership;

namespace OrleansRay.Scheduling;

/// <summary>Where the engine finds the object arguments of a task it holds until they exist.</summary>
internal interface IArgumentSource
{
    /// <summary>The entry of an object argument: owned by this process, or the local entry of a borrowed ref. False when
    /// the object no longer exists (the task then fails with ObjectLost).</summary>
    bool TryGetArgument(in TaskArg arg, out ObjectEntry entry);
}
