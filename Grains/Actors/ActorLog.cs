using Microsoft.Extensions.Logging;

namespace OrleansRay.Actors;

/// <summary>The log lines of an actor's lifecycle on its host.</summary>
internal static partial class ActorLog
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Actor {ClassName} {ActorId} is alive")]
    public static partial void ActorAlive(ILogger logger, string className, ActorId actorId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Actor {ClassName} {ActorId} is restarting (restart {Restarts})")]
    public static partial void ActorRestarting(ILogger logger, string className, ActorId actorId, int restarts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Actor {ClassName} {ActorId} died: {Reason}")]
    public static partial void ActorDied(ILogger logger, string className, ActorId actorId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A cancellation callback of a call of actor {ClassName} threw")]
    public static partial void CancelCallbackFailed(ILogger logger, string className, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Actor {ClassName} {ActorId}, waiting here for its resources, moves to node {Node}, which can hold it (this node never can) or has room for it now")]
    public static partial void ActorMoving(ILogger logger, string className, ActorId actorId, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Calls that reached actor {ActorId} after it moved to another node could not be forwarded there: {Reason}")]
    public static partial void ForwardFailed(ILogger logger, ActorId actorId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Actor {ActorId} could not be moved to another node (tried again at the next refresh): {Reason}")]
    public static partial void MoveFailed(ILogger logger, ActorId actorId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Actor {ActorId}, whose move to another node did not happen, could not be taken back on this node at once: {Reason}. Its next call brings it back")]
    public static partial void TakeBackFailed(ILogger logger, ActorId actorId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A caller of actor {ActorId} could not be told its calls moved with the actor to another node: {Reason}. If that node dies, those calls wait until the caller gives up on them")]
    public static partial void CallerNotTold(ILogger logger, ActorId actorId, string reason);
}
