namespace OrleansRay.ObjectStore.Hosting;

/// <summary>How to start the orleansray-store executable as a child process.</summary>
public sealed class ObjectStoreProcessOptions
{
    /// <summary>The store's settings, passed on its command line. Default: defaults of <see cref="ObjectStoreOptions"/>, with a fresh socket path under the temp directory.</summary>
    public ObjectStoreOptions Store { get; set; } = new();

    /// <summary>orleansray-store (apphost) or orleansray-store.dll. Default: the one next to this assembly.</summary>
    public string? ExecutablePath { get; set; }

    /// <summary>How long to wait for the store's ready line. Default: 30 s.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a stop waits after SIGTERM before killing the store. Default: 10 s.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Make the store exit when this process dies. Default: true.</summary>
    public bool ExitWithParent { get; set; } = true;
}
