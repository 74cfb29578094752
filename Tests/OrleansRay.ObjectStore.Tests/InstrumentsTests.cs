using System.Diagnostics.Metrics;
using OrleansRay.ObjectStore.Hosting;
using Xunit;

namespace OrleansRay.ObjectStore.Tests;

public sealed class InstrumentsTests
{
    [Fact]
    public async Task The_store_publishes_its_used_bytes_and_object_count()
    {
        const long Capacity = (1 << 20) + (3 * 4096); // a size no other test uses, to find this store among parallel ones
        await using var store = await TestStore.StartEmbeddedAsync(Capacity);
        await using var client = await store.ConnectAsync();
        await client.PutAsync(StoreObjectId.NewId(), new byte[1000]);

        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Other stores of parallel tests publish on the same meter name: only this store's meter is read.
            if (instrument.Meter.Name == ObjectStoreInstruments.MeterName)
            {
                l.EnableMeasurementEvents(instrument, instrument.Meter);
            }
        };
        var meters = new List<(Meter Meter, string Name, long Value)>();
        listener.SetMeasurementEventCallback<long>((instrument, value, _, state) => meters.Add(((Meter)state!, instrument.Name, value)));
        listener.SetMeasurementEventCallback<int>((instrument, value, _, state) => meters.Add(((Meter)state!, instrument.Name, value)));
        listener.Start();
        listener.RecordObservableInstruments();

        // This store's meter is the one with our capacity. A parallel test's store may be making or disposing its meter
        // right now, so another meter can show only some of its instruments: look names up without assuming them.
        var ours = meters.GroupBy(m => m.Meter)
            .Select(g => g.ToDictionary(m => m.Name, m => m.Value))
            .Single(d => d.GetValueOrDefault("orleansray.objectstore.capacity") == Capacity);
        Assert.Equal(1, ours["orleansray.objectstore.objects"]);
        Assert.Equal(1024, ours["orleansray.objectstore.used_bytes"]);
        Assert.Equal(0, ours["orleansray.objectstore.spills"]);
    }
}
