using System.Collections.Concurrent;
using OrleansRay.Transport;

namespace OrleansRay.Ownership;

/// <summary>Large values this node produced for owners elsewhere, held here until their owner frees them, and the
/// reading of such values from the nodes that hold them.</summary>
/// <remarks>
/// Ray keeps a large return value in the object store of the node that ran the task and gives the owner its location;
/// here a value above <see cref="NodeRuntimeOptions.InlineThreshold"/> stays in this node's memory and its owner gets a
/// <see cref="RemoteObject"/> (id, holder, size) that readers fetch in chunks of <see cref="Chunk"/> bytes.
/// </remarks>
internal sealed class HeldValues
{
    /// <summary>Chunk size of remote reads: large enough to amortize a call, far below Orleans' message limit.</summary>
    public const int Chunk = 4 << 20;

    private readonly ConcurrentDictionary<ObjectId, byte[]> _held = new();
    private readonly LocalNode _node;
    private readonly ValueCopier _copier;
    private long _fetchedBytes;
    private long _servedBytes;

    public HeldValues(LocalNode node, ValueCopier copier)
    {
        _node = node;
        _copier = copier;
    }

    /// <summary>Bytes of values this node holds for remote owners.</summary>
    public long HeldBytes => _held.Values.Sum(static b => (long)b.Length);

    /// <summary>Bytes fetched from holders on other nodes.</summary>
    public long FetchedBytes => Interlocked.Read(ref _fetchedBytes);

    /// <summary>Bytes served to readers on other nodes.</summary>
    public long ServedBytes => Interlocked.Read(ref _servedBytes);

    /// <summary>A value above the inline threshold stays here and its owner gets a <see cref="RemoteObject"/>; smaller
    /// values (and every value before the node joined a cluster) are returned as they are.</summary>
    public object? HoldIfLarge(ObjectId id, object? value)
    {
        if (_node.Endpoint is not { } endpoint || !LocalObjectStore.IsLarge(value, _node.Options.InlineThreshold))
        {
            return value;
        }

        var bytes = _copier.Serializer.SerializeToArray<object?>(value);
        _held[id] = bytes;
        return new RemoteObject { Id = id, Holder = endpoint, Node = _node.Name, Size = bytes.Length };
    }

    /// <summary>A chunk of a held value (empty when not held or out of range), at most <see cref="Chunk"/> bytes.</summary>
    public byte[] Read(ObjectId id, long offset, int count)
    {
        if (!_held.TryGetValue(id, out var bytes) || offset < 0 || offset >= bytes.Length || count <= 0)
        {
            return Array.Empty<byte>();
        }

        var length = (int)Math.Min(Math.Min(count, Chunk), bytes.Length - offset);
        Interlocked.Add(ref _servedBytes, length);
        return bytes.AsSpan((int)offset, length).ToArray();
    }

    /// <summary>The owner freed this value.</summary>
    public void Free(ObjectId id) => _held.TryRemove(id, out _);

    /// <summary>The owners freed these values.</summary>
    public void Free(IEnumerable<ObjectId> ids)
    {
        foreach (var id in ids)
        {
            _held.TryRemove(id, out _);
        }
    }

    /// <summary>Tells the holder of <paramref name="remote"/> that its owner (this node) freed it; best effort.</summary>
    public static void FreeRemote(RemoteObject remote) => _ = FreeRemoteAsync(remote);

    private static async Task FreeRemoteAsync(RemoteObject remote)
    {
        try
        {
            await remote.Holder.FreeHeldAsync([remote.Id]).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The holder is gone, and the value with it.
        }
    }

    /// <summary>Fetches a value held by another node (chunk by chunk) and deserializes a fresh copy of it.</summary>
    /// <exception cref="NotSupportedException">The value is larger than one .NET array holds.</exception>
    /// <exception cref="RayErrorException">The holder could not give it (<see cref="RayErrorKind.ObjectLost"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<object?> FetchAsync(RemoteObject remote, CancellationToken cancellationToken = default)
    {
        if (remote.Size > Array.MaxLength)
        {
            throw new NotSupportedException($"Object {remote.Id} is {remote.Size} bytes serialized, more than one .NET array holds.");
        }

        var bytes = new byte[remote.Size];
        long offset = 0;
        try
        {
            while (offset < remote.Size)
            {
                var chunk = await remote.Holder.ReadHeldAsync(remote.Id, offset, Chunk).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (chunk.Length == 0)
                {
                    throw new InvalidOperationException("the holder no longer has it");
                }

                chunk.CopyTo(bytes, offset);
                offset += chunk.Length;
                Interlocked.Add(ref _fetchedBytes, chunk.Length);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            throw new RayErrorException(RayError.Create(RayErrorKind.ObjectLost,
                $"Object {remote.Id} is held by node {remote.Node}, which could not give it ({ex.Message}); it is lost (rebuilding it from lineage is not implemented yet)."));
        }

        return _copier.Serializer.Deserialize<object?>(bytes);
    }
}
