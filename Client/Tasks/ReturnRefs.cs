using OrleansRay.Node;
using OrleansRay.Ownership;

namespace OrleansRay;

/// <summary>The return objects of one submitted task or actor call (Ray's <c>num_returns</c>), made into typed refs by
/// <see cref="TaskCall{TResult}.Remote"/> and the <c>RemoteMany</c> overloads.</summary>
internal readonly struct ReturnRefs
{
    private readonly NodeRuntime _runtime;
    private readonly ObjectEntry _first;
    private readonly ObjectEntry[]? _others;

    public ReturnRefs(NodeRuntime runtime, ObjectEntry first, ObjectEntry[]? others)
    {
        _runtime = runtime;
        _first = first;
        _others = others;
    }

    /// <summary>The ref of return <paramref name="index"/> (0-based). Each entry was created with one handle, which this
    /// ref takes over. A lone return's ref may hold its entry alone after its first read
    /// (<see cref="ObjectRef.DetachAfterRead"/>); the returns of a task with several are failed together, by id.</summary>
    public ObjectRef<T> Ref<T>(int index) =>
        new(index == 0 ? _first.Id : _others![index - 1].Id, _runtime.WorkerId, _runtime.Reader, detachable: _others is null);

    /// <summary>One ref per return, in order.</summary>
    public ObjectRef<T>[] Refs<T>()
    {
        var refs = new ObjectRef<T>[1 + (_others?.Length ?? 0)];
        for (var i = 0; i < refs.Length; i++)
        {
            refs[i] = Ref<T>(i);
        }

        return refs;
    }
}
