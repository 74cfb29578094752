namespace OrleansRay.Bench.Harness;

/// <summary>Shared, lazily created resources of one harness run (an embedded cluster, a raw Orleans silo, ...).</summary>
/// <remarks>Benchmarks fetch what they need with <see cref="GetAsync{T}"/>; everything is disposed when the harness moves
/// on to another group (<see cref="ReleaseAsync"/>) and at the end of the run.</remarks>
internal sealed class BenchEnvironment : IAsyncDisposable
{
    private readonly Dictionary<Type, object> _shared = new();
    private readonly List<object> _created = new();

    /// <summary>True when the harness was started with --quick (fewer iterations, used by tests of the harness itself).</summary>
    public bool Quick { get; init; }

    /// <summary>Returns the shared instance of <typeparamref name="T"/>, creating it with <paramref name="factory"/> once.</summary>
    public async Task<T> GetAsync<T>(Func<Task<T>> factory) where T : class
    {
        if (_shared.TryGetValue(typeof(T), out var existing))
        {
            return (T)existing;
        }

        var created = await factory();
        _shared[typeof(T)] = created;
        _created.Add(created);
        return created;
    }

    /// <summary>Disposes everything created so far; later fetches create anew. The harness calls it between groups, so
    /// what one group holds (the object store's 1 GiB objects and their mapping, for one) is neither in another group's
    /// peak memory nor in its way.</summary>
    public async Task ReleaseAsync()
    {
        for (var i = _created.Count - 1; i >= 0; i--)
        {
            switch (_created[i])
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }

        _created.Clear();
        _shared.Clear();
    }

    public async ValueTask DisposeAsync() => await ReleaseAsync();
}
