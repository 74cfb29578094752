using System.Globalization;
using System.Runtime.InteropServices;

namespace OrleansRay.Silo.Hosting;

/// <summary>A write-only stream on a file descriptor this process does not own (standard output or error): writes go
/// straight to <c>write(2)</c>, so they follow the descriptor wherever <c>dup2</c> points it.</summary>
internal sealed partial class DescriptorStream(int descriptor) : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer) => WriteAll(descriptor, buffer);

    /// <summary>Writes all of <paramref name="bytes"/> to <paramref name="descriptor"/>, again after a signal or a
    /// short write.</summary>
    /// <exception cref="IOException">The write failed (a full disk, a closed descriptor).</exception>
    public static unsafe void WriteAll(int descriptor, ReadOnlySpan<byte> bytes)
    {
        const int Interrupted = 4; // EINTR
        fixed (byte* start = bytes)
        {
            var offset = 0;
            while (offset < bytes.Length)
            {
                var written = SysWrite(descriptor, start + offset, (nuint)(bytes.Length - offset));
                if (written < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Interrupted)
                    {
                        continue;
                    }

                    throw new IOException($"write to descriptor {descriptor.ToString(CultureInfo.InvariantCulture)} failed with errno {errno.ToString(CultureInfo.InvariantCulture)}");
                }

                offset += (int)written;
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint SysWrite(int descriptor, byte* buffer, nuint count);
}
