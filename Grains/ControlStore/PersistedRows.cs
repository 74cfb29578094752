using Microsoft.Extensions.Logging;
using Orleans.Serialization;

namespace OrleansRay.ControlStore;

/// <summary>A control-store table as stored: Orleans-serialized bytes, so any grain storage (JSON in ADO.NET
/// included) holds rows of any serializable type.</summary>
[GenerateSerializer, Alias("orleansray.serializedrows")]
public sealed class SerializedRows
{
    [Id(0)] public byte[]? Rows { get; set; }
}

/// <summary>Loads and saves one control-store table through grain storage. The grain's in-memory table stays
/// authoritative: a load that fails starts empty, a save that fails is logged and retried at the next change.</summary>
internal sealed partial class PersistedRows<T> where T : class
{
    private readonly IPersistentState<SerializedRows> _state;
    private readonly Serializer _serializer;
    private readonly ILogger _logger;
    private readonly string _what;

    public PersistedRows(IPersistentState<SerializedRows> state, Serializer serializer, ILogger logger, string what)
    {
        _state = state;
        _serializer = serializer;
        _logger = logger;
        _what = what;
    }

    /// <summary>The stored table, or null when there is none (or it cannot be read).</summary>
    public T? Load()
    {
        if (_state.State.Rows is not { Length: > 0 } rows)
        {
            return null;
        }

        try
        {
            return _serializer.Deserialize<T>(rows);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogUnreadable(_logger, _what, ex.Message);
            return null;
        }
    }

    /// <summary>Writes <paramref name="rows"/> (a snapshot the caller no longer changes).</summary>
    /// <returns>True when written; false when the write failed (logged).</returns>
    public async Task<bool> SaveAsync(T rows)
    {
        try
        {
            _state.State.Rows = _serializer.SerializeToArray(rows);
            await _state.WriteStateAsync().ConfigureAwait(true);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogWriteFailed(_logger, _what, ex.GetType().Name, ex.Message);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The stored {What} could not be read: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string what, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the {What} failed ({ErrorType}: {Reason}); the head keeps it in memory")]
    private static partial void LogWriteFailed(ILogger logger, string what, string errorType, string reason);
}
