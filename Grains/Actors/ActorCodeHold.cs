using OrleansRay.Code;
using OrleansRay.Execution;

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

    /// <summary>The actor's resolved constructor while it lives (null before, and after death).</summary>
    public CompiledFunction? Constructor { get; private set; }

    /// <summary>Loads (or finds) the package of <paramref name="constructor"/>, when it is a job's shipped code, holds
    /// it and resolves the constructor; false when the actor died meanwhile (then nothing is held).</summary>
    /// <exception cref="CodeLoadException">The job's code could not be fetched or loaded on this node.</exception>
    /// <exception cref="FunctionUnavailableException">The constructor is not in the code.</exception>
    public async Task<bool> AcquireAsync(ActorServices runtime, FunctionDescriptor constructor)
    {
        CodePackage? package = null;
        if (constructor.Code.Length > 0 && runtime.Code is { } code && !DriverCode.IsLocal(constructor.Code, constructor.AssemblyName, out _))
        {
            IsJobCode = true;
            package = await code.GetAsync(constructor.Code).ConfigureAwait(false);
            package.Retain(); // marks it used too: retirement re-checks after taking a package out, and puts it back
        }

        try
        {
            var resolved = FunctionRegistry.Resolve(constructor, runtime.Code);
            lock (_gate)
            {
                if (!_released)
                {
                    _package = package;
                    Constructor = resolved;
                    return true;
                }
            }
        }
        catch
        {
            package?.Release();
            throw;
        }

        package?.Release(); // the actor died while its code loaded
        return false;
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
            Constructor = null;
        }

        package?.Release();
    }
}
