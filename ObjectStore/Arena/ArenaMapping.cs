using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace OrleansRay.ObjectStore.Arena;

/// <summary>A read/write mapping of the arena file: the store creates it, clients open it.</summary>
/// <remarks>
/// Access goes through the raw base pointer (ViewAccessor reads are ~5x slower). The pointer stays valid
/// until <see cref="Dispose"/>; callers must not touch memory after that.
/// </remarks>
internal sealed unsafe partial class ArenaMapping : IDisposable
{
    private const int MadvPopulateWrite = 23; // Linux 5.14+: fault in page tables, writable.
    private const int PageSize = 4096;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly bool _owner;
    private byte* _pointer;
    private int _disposed;

    private ArenaMapping(string path, long capacity, MemoryMappedFile file, MemoryMappedViewAccessor view, bool owner)
    {
        Path = path;
        Capacity = capacity;
        _file = file;
        _view = view;
        _owner = owner;
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _pointer = pointer;
    }

    public string Path { get; }

    public long Capacity { get; }

    public byte* Pointer => _pointer;

    /// <summary>Creates a fresh arena file (owner-only) of <paramref name="capacity"/> bytes in <paramref name="directory"/>.</summary>
    public static ArenaMapping Create(string directory, long capacity, bool prefault)
    {
        RemoveStaleArenas(directory);
        Directory.CreateDirectory(directory);
        var path = System.IO.Path.Combine(directory, $"orleansray-store-{Environment.ProcessId}-{Guid.NewGuid():N}.arena");
        var streamOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite };
        if (!OperatingSystem.IsWindows())
        {
            // Owner-only: other users on the node must not read or write objects.
            streamOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var stream = new FileStream(path, streamOptions);
        try
        {
            // A zero-length file cannot be mapped; an empty arena still gets one page.
            var mapped = Math.Max(capacity, PageSize);
            stream.SetLength(mapped);
            var file = MemoryMappedFile.CreateFromFile(stream, null, mapped, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            var view = file.CreateViewAccessor(0, mapped, MemoryMappedFileAccess.ReadWrite);
            var mapping = new ArenaMapping(path, capacity, file, view, owner: true);
            if (prefault)
            {
                mapping.Prefault();
            }

            return mapping;
        }
        catch
        {
            stream.Dispose();
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Deletes arena files of stores whose process no longer runs. A store killed with SIGKILL (or whose whole
    /// process tree was) cannot remove its own file, and a file in /dev/shm holds RAM until someone deletes it; the next
    /// store on the machine does. The owner's pid is in the file name; a live or unknown pid is left alone.</summary>
    internal static int RemoveStaleArenas(string directory)
    {
        var removed = 0;
        try
        {
            foreach (var file in Directory.EnumerateFiles(directory, "orleansray-store-*.arena"))
            {
                var parts = System.IO.Path.GetFileNameWithoutExtension(file).Split('-');
                if (parts.Length < 4 || !int.TryParse(parts[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid)
                    || pid == Environment.ProcessId || OwnerProcess.IsLive(pid) || !Directory.Exists("/proc/self"))
                {
                    continue;
                }

                try
                {
                    File.Delete(file);
                    removed++;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Another user's store, or a race with another sweeper: not ours to insist on.
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // An unreadable directory: creating the arena will report the real problem.
        }

        return removed;
    }

    /// <summary>Maps an existing arena file created by a store.</summary>
    public static ArenaMapping Open(string path, long capacity, bool prefault)
    {
        var mapped = Math.Max(capacity, PageSize);
        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        try
        {
            if (stream.Length < mapped)
            {
                throw new InvalidDataException($"The arena file '{path}' is {stream.Length} bytes, the store announced {mapped}.");
            }

            // Capacity 0 maps the file at its own size: the store may round its file up past the capacity it announces
            // (asking for less than the file's size throws). Only the announced bytes are viewed.
            var file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            var view = file.CreateViewAccessor(0, mapped, MemoryMappedFileAccess.ReadWrite);
            var mapping = new ArenaMapping(path, capacity, file, view, owner: false);
            if (prefault)
            {
                mapping.Prefault();
            }

            return mapping;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>A span over [offset, offset + length) of the arena.</summary>
    public Span<byte> GetSpan(long offset, int length)
    {
        CheckRange(offset, length);
        return new Span<byte>(_pointer + offset, length);
    }

    public void CheckRange(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Capacity - length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"The region [{offset}, +{length}) is outside the arena of {Capacity} bytes.");
        }
    }

    /// <summary>Faults every page in now, so first writes are not paced by page faults.</summary>
    public void Prefault()
    {
        var length = (nuint)Math.Max(Capacity, PageSize);
        if (OperatingSystem.IsLinux() && Madvise((nint)_pointer, length, MadvPopulateWrite) == 0)
        {
            return;
        }

        // Older kernels: touch one byte per page. Only the creating store writes (nobody else can see the
        // file yet); a client only reads, so it never races a concurrent writer.
        var pages = (long)length / PageSize;
        var basePointer = (nint)_pointer;
        var write = _owner;
        Parallel.For(0, Environment.ProcessorCount, worker =>
        {
            var start = pages * worker / Environment.ProcessorCount;
            var end = pages * (worker + 1) / Environment.ProcessorCount;
            var p = (byte*)basePointer;
            for (var page = start; page < end; page++)
            {
                ref var at = ref *(p + (page * PageSize));
                var value = Volatile.Read(ref at);
                if (write)
                {
                    Volatile.Write(ref at, value);
                }
            }
        });
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _pointer = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
        if (_owner)
        {
            try
            {
                File.Delete(Path);
            }
            catch (IOException)
            {
                // Already gone (a cleanup script or a second dispose path): nothing to free.
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);
}
