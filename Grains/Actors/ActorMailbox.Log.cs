using Microsoft.Extensions.Logging;

namespace OrleansRay.Actors;

internal sealed partial class ActorMailbox
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Actor {ClassName} {ActorId} is alive")]
    private static partial void LogActorAlive(ILogger logger, string className, ActorId actorId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Actor {ClassName} {ActorId} is restarting (restart {Restarts})")]
    private static partial void LogActorRestarting(ILogger logger, string className, ActorId actorId, int restarts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Actor {ClassName} {ActorId} died: {Reason}")]
    private static partial void LogActorDied(ILogger logger, string className, ActorId actorId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A cancellation callback of a call of actor {ClassName} threw")]
    private static partial void LogCancelCallbackFailed(ILogger logger, string className, Exception exception);
}
