using OrleansRay.Code;

namespace OrleansRay.Actors;

/// <summary>Holds the job code package of one actor's class while the actor lives: fetched and loaded the first time
/// the node runs something of that job, and kept loaded while the actor lives (a detached actor keeps its job's code
/// after the job ended, until it is killed).</summary>
internal sealed class ActorCodeHold
{
    private readonly object _gate = new();
    private CodePackage? _package;
    private bool _released;

    /// <summary>True once the actor's class turned out to be a job's shipped code.</summary>
    public bool IsJobCode { get; private set; }

    /// <summary>Loads (or finds) the package of <paramref name="constructor"/>, when it is a job's shipped code, and
    /// holds it; an actor that died meanwhile lets it go at once.</summary>
    /// <exception cref="CodeLoadException">The job's code could not be fetched or loaded on this node.</exception>
    public async Task AcquireAsync(ActorServices runtime, FunctionDescriptor constructor)
    {
        if (constructor.Code.Length == 0 || runtime.Code is not { } code || DriverCode.IsLocal(constructor.Code, constructor.AssemblyName, out _))
        {
            return;
        }

        IsJobCode = true;
        var package = await code.GetAsync(constructor.Code).ConfigureAwait(false);
        package.Retain(); // marks it used too: retirement re-checks after taking a package out, and puts it back
        lock (_gate)
        {
            if (!_released)
            {
                _package = package;
                return;
            }
        }

        package.Release(); // the actor died while its code loaded
    }

    /// <summary>The actor died: its package may unload once no job and no other actor uses it.</summary>
    public void Release()
    {
        CodePackage? package;
        lock (_gate)
        {
            _released = true;
            package = _package;
            _package = null;
        }

        package?.Release();
    }
}
