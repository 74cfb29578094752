using System.Diagnostics;
using OrleansRay.ObjectStore.Hosting;
using Xunit;

namespace OrleansRay.ObjectStore.Tests;

/// <summary>The executable's life cycle: two stores on one machine, SIGTERM, parent death.</summary>
public sealed class StoreProcessTests
{
    [Fact]
    public async Task An_object_put_in_one_store_process_is_read_from_another_by_peer_transfer()
    {
        await using var first = await TestStore.StartProcessAsync(32 << 20);
        await using var second = await TestStore.StartProcessAsync(32 << 20);
        await using var writer = await first.ConnectAsync();
        await using var reader = await second.ConnectAsync();
        var id = StoreObjectId.NewId();
        var data = Patterns.Create((20 << 20) + 3, 11);
        await writer.PutAsync(id, data);

        await reader.PullAsync(id, first.TransferEndPoint);
        using var buffer = await reader.GetAsync(id, TimeSpan.Zero);
        Assert.True(buffer.Span.SequenceEqual(data));
    }

    [Fact]
    public async Task The_store_files_are_owner_only_and_SIGTERM_stops_it_cleanly_removing_them()
    {
        var store = await ObjectStoreProcess.StartAsync(new ObjectStoreProcessOptions { Store = TestStore.Options(1 << 20, null) });
        await using (var client = await store.ConnectAsync())
        {
            await client.PutAsync(StoreObjectId.NewId(), new byte[100]);
        }

        Assert.True(File.Exists(store.ArenaPath));
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(store.ArenaPath));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(store.SocketPath));
        var sockets = store.SocketPath;
        using var watcher = Process.GetProcessById(store.ProcessId);
        Assert.Equal(0, Kill(store.ProcessId, 15));
        await watcher.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));

        // The store removed its own files before exiting (nothing deleted them for it yet).
        Assert.False(File.Exists(store.ArenaPath));
        Assert.False(File.Exists(sockets));
        await store.DisposeAsync();
    }

    [Fact]
    public async Task The_store_exits_when_its_parent_process_dies()
    {
        using var parent = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        var socket = Path.Combine(Path.GetTempPath(), $"orleansray-test-{Guid.NewGuid():N}.sock");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "orleansray-store.dll"), "--socket", socket, "--size", "1M", "--no-prefault", "--parent-pid", parent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var store = Process.Start(start)!;
        try
        {
            var ready = await store.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.StartsWith("orleansray-store ready", ready, StringComparison.Ordinal);
            Assert.False(store.HasExited);

            parent.Kill();
            await store.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(0, store.ExitCode);
            Assert.False(File.Exists(socket));
        }
        finally
        {
            if (!store.HasExited)
            {
                store.Kill();
                store.WaitForExit();
                foreach (var arena in Directory.EnumerateFiles("/dev/shm", $"orleansray-store-{store.Id}-*.arena"))
                {
                    File.Delete(arena);
                }

                File.Delete(socket);
            }

            if (!parent.HasExited)
            {
                parent.Kill();
            }
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
