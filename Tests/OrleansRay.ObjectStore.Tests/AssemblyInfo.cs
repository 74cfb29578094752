// Two test classes at a time: each may hold a 1 GiB arena, and the machine has 2 cores.
[assembly: Xunit.CollectionBehavior(MaxParallelThreads = 2)]

// The store is Linux-only (/dev/shm, Unix sockets, POSIX signals); so are its tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
