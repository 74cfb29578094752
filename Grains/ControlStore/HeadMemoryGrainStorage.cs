using System.Collections.Concurrent;
using Orleans.Storage;

namespace OrleansRay.ControlStore;

/// <summary>The control store's grain storage without --storage: rows kept in the memory of the process that holds
/// them. The control-store grains live on the head (<see cref="HeadPlacement"/>), so their rows live and die
/// with the head — Ray's GCS without Redis behaves the same.</summary>
/// <remarks>Orleans' own memory storage spreads rows over storage grains on every silo: a worker node that died would
/// take some of the head's rows with it. This one keeps them where the grains are.</remarks>
internal sealed class HeadMemoryGrainStorage : IGrainStorage
{
    private readonly ConcurrentDictionary<(string State, GrainId Grain), (object? Value, string ETag)> _rows = new();

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_rows.TryGetValue((stateName, grainId), out var row) && row.Value is T value)
        {
            grainState.State = value;
            grainState.ETag = row.ETag;
            grainState.RecordExists = true;
        }

        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var etag = Guid.NewGuid().ToString("N");
        _rows[(stateName, grainId)] = (grainState.State, etag);
        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        _rows.TryRemove((stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }
}
