// orleansray-store: one object store per node, started by `orleansray start` (or a test) as a child process.
// Usage: orleansray-store --socket PATH [--size BYTES] [--spill-dir DIR] [--arena-dir DIR] [--transfer-port N]
//        [--transfer-address IP] [--parent-pid PID] [--create-timeout-ms N] [--transfer-chunk-size N]
//        [--transfer-rate-limit BYTES_PER_S] [--no-prefault]
// Prints one ready line on stdout (see StoreReadyLine) once clients can connect; exits on SIGTERM/SIGINT or when the parent dies.
using OrleansRay.ObjectStore.Server;

return await StoreProgram.RunAsync(args).ConfigureAwait(false);
