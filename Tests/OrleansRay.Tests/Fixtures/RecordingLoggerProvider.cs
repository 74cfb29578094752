using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace OrleansRay.Tests.Fixtures;

/// <summary>Keeps every log entry of every category, for a test to read (<c>RayOptions.LogTo</c>, or a host's
/// <c>Logging.AddProvider</c>). Thread-safe.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<Entry> _entries = new();

    public sealed record Entry(string Category, LogLevel Level, string Message);

    /// <summary>The entries so far, in the order they were logged.</summary>
    public IReadOnlyList<Entry> Entries => _entries.ToArray();

    /// <summary>The warnings so far whose message contains <paramref name="text"/>.</summary>
    public IReadOnlyList<Entry> Warnings(string text) =>
        _entries.Where(e => e.Level == LogLevel.Warning && e.Message.Contains(text, StringComparison.Ordinal)).ToList();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(RecordingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider._entries.Enqueue(new Entry(category, logLevel, formatter(state, exception)));
    }
}
