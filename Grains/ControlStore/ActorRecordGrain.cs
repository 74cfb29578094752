using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>The persisted part of an actor's row. The creation spec is kept as Orleans-serialized bytes: it holds
/// constructor arguments of any serializable type, which a JSON state store could not round-trip.</summary>
[GenerateSerializer, Alias("orleansray.actorrecordstate")]
public sealed class ActorRecordState
{
    [Id(0)] public byte[]? Spec { get; set; }
    [Id(1)] public int Restarts { get; set; }
    [Id(2)] public int State { get; set; }
    [Id(3)] public string Node { get; set; } = string.Empty;
}

/// <summary>One actor's control-store row; see <see cref="IActorRecordGrain"/>.</summary>
/// <remarks>The row is held in the activation (on the head) and written through to grain storage; a write that fails
/// (in-memory storage on a node that died) is logged and the in-memory row stays authoritative.</remarks>
[HeadPlacement]
[KeepAlive]
internal sealed partial class ActorRecordGrain : Grain, IActorRecordGrain
{
    private readonly IPersistentState<ActorRecordState> _state;
    private readonly Serializer _serializer;
    private readonly ILogger<ActorRecordGrain> _logger;
    private ActorCreationSpec? _spec;

    public ActorRecordGrain(
        [PersistentState("actor", ControlStoreStorage.Name)] IPersistentState<ActorRecordState> state,
        Serializer serializer,
        ILogger<ActorRecordGrain> logger)
    {
        _state = state;
        _serializer = serializer;
        _logger = logger;
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (_state.State.Spec is { Length: > 0 } bytes)
        {
            try
            {
                _spec = _serializer.Deserialize<ActorCreationSpec>(bytes);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogUnreadable(_logger, this.GetPrimaryKey(), ex.Message);
            }
        }

        return Task.CompletedTask;
    }

    public async Task RegisterAsync(ActorCreationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (_spec is not null)
        {
            return;
        }

        _spec = spec;
        _state.State.Spec = _serializer.SerializeToArray(spec);
        _state.State.State = (int)ActorState.Pending;
        await WriteAsync().ConfigureAwait(true);
    }

    public async Task<ActorRestart> RestartAsync()
    {
        if (_spec is null)
        {
            return new ActorRestart(null, 0, "no actor with this id was ever created in this cluster (or its record was lost with in-memory state)");
        }

        if ((ActorState)_state.State.State == ActorState.Dead)
        {
            return new ActorRestart(_spec, _state.State.Restarts, "it was killed or died past its MaxRestarts");
        }

        var options = _spec.Options;
        if (_state.State.Restarts >= options.MaxRestarts && !options.Detached)
        {
            _state.State.State = (int)ActorState.Dead;
            await WriteAsync().ConfigureAwait(true);
            return new ActorRestart(_spec, _state.State.Restarts, $"its node died and it has no restarts left (MaxRestarts = {options.MaxRestarts})");
        }

        _state.State.Restarts++;
        _state.State.State = (int)ActorState.Restarting;
        await WriteAsync().ConfigureAwait(true);
        return new ActorRestart(_spec, _state.State.Restarts, null);
    }

    public async Task ReportAsync(ActorState state, string node)
    {
        if ((ActorState)_state.State.State == ActorState.Dead)
        {
            return;
        }

        _state.State.State = (int)state;
        _state.State.Node = node;
        await WriteAsync().ConfigureAwait(true);
    }

    private async Task WriteAsync()
    {
        try
        {
            await _state.WriteStateAsync().ConfigureAwait(true);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogWriteFailed(_logger, this.GetPrimaryKey(), ex.GetType().Name, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The stored record of actor {ActorId} could not be read: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, Guid actorId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the record of actor {ActorId} failed ({ErrorType}: {Reason}); the head keeps it in memory")]
    private static partial void LogWriteFailed(ILogger logger, Guid actorId, string errorType, string reason);
}

/// <summary>The grain storage the control store writes through to: the silo's default provider (ADO.NET on
/// PostgreSQL with --storage; in memory otherwise).</summary>
internal static class ControlStoreStorage
{
    public const string Name = "Default";
}
