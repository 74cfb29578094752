using Xunit;

namespace OrleansRay.ObjectStore.Tests;

public sealed class ObjectBufferTests
{
    [Fact]
    public void A_buffer_over_managed_memory_releases_its_pin_once_and_refuses_use_after_dispose()
    {
        var pin = new CountingPin();
        var buffer = new ObjectBuffer<int>(new[] { 1, 2, 3 }, pin, keepAlive: null);
        Assert.Equal(3, buffer.Length);
        Assert.Equal(12, buffer.ByteLength);
        Assert.Equal(6, buffer.Span[0] + buffer.Span[1] + buffer.Span[2]);

        buffer.Dispose();
        buffer.Dispose();
        Assert.Equal(1, pin.Disposals);
        Assert.Throws<ObjectDisposedException>(() => buffer.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => buffer.Memory);
    }

    private sealed class CountingPin : IDisposable
    {
        public int Disposals { get; private set; }

        public void Dispose() => Disposals++;
    }
}
