namespace OrleansRay.ObjectStore.Hosting;

/// <summary>How to start the orleansray-store executable as a child process.</summary>
public sealed class ObjectStoreProcessOptions
{
    /// <summary>The store's settings, passed on its command line, except <see cref="ObjectStoreOptions.Credentials"/>:
    /// their token goes into the process' environment (<c>ORLEANSRAY_AUTH_TOKEN</c>), and without them the variable is
    /// removed from it (an inherited one must not switch TLS on). <see cref="ObjectStoreOptions.PeerRefused"/> is not
    /// called: the store writes refusals to its stderr (<see cref="StandardErrorLine"/>). Default: defaults of
    /// <see cref="ObjectStoreOptions"/>, with a fresh socket path under the temp directory.</summary>
    public ObjectStoreOptions Store { get; set; } = new();

    /// <summary>orleansray-store (apphost) or orleansray-store.dll. Default: the one next to this assembly.</summary>
    public string? ExecutablePath { get; set; }

    /// <summary>How long to wait for the store's ready line. Default: 30 s.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a stop waits after SIGTERM before killing the store. Default: 10 s.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Called with each line the store writes to stderr (errors, refused peers), on a thread-pool thread; it
    /// must not throw. Default: null (the lines are kept for <see cref="ObjectStoreProcess.StandardError"/> only).</summary>
    public Action<string>? StandardErrorLine { get; set; }

    /// <summary>Make the store exit when this process dies. Default: true.</summary>
    public bool ExitWithParent { get; set; } = true;
}
