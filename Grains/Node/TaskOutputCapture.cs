using System.Runtime.CompilerServices;
using System.Text;
using OrleansRay.Actors;
using OrleansRay.Execution;

namespace OrleansRay.Node;

/// <summary>The console of a node process (standard output or error): writes everything through to the node's own
/// output, and hands the lines that the tasks and actor calls of a connected driver's job write to that driver's
/// <see cref="TaskOutputForwarder"/> (Ray's <c>log_to_driver</c>).</summary>
/// <remarks>
/// <para>A line belongs to the task or call running on the writer's async flow (<see cref="TaskContext.Current"/>); what
/// is written outside one, or by an actor of no job (a detached one), goes only to the node's output. A partial line is
/// held per task or call until its line break, so two tasks writing pieces at once do not mix their lines; a last line
/// without a line break is not sent.</para>
/// <para>Nothing of this runs unless code writes to the console: a task that prints nothing pays nothing. Installed by
/// the process that owns the console (<see cref="Install"/>, a CLI node); the console wraps it in its own lock.</para>
/// </remarks>
internal sealed class TaskOutputCapture : TextWriter
{
    /// <summary>Characters of one line at most: a longer one is sent in pieces of this size (a message must stay small).</summary>
    public const int MaxLineChars = 16 * 1024;

    private static int _installed;

    private readonly TextWriter _inner;
    private readonly bool _isError;
    private readonly Func<TaskContext, TaskOutputForwarder?> _route;

    /// <summary>The partial line of each task or call (weak: it goes with its context).</summary>
    private readonly ConditionalWeakTable<TaskContext, StringBuilder> _partial = new();

    /// <summary>A console writer over <paramref name="inner"/>.</summary>
    /// <param name="inner">The node's own output, which gets every write.</param>
    /// <param name="isError">This is standard error.</param>
    /// <param name="route">The forwarder of the node runtime that runs a context's code; null: none.</param>
    public TaskOutputCapture(TextWriter inner, bool isError, Func<TaskContext, TaskOutputForwarder?> route)
        : base(inner.FormatProvider)
    {
        _inner = inner;
        _isError = isError;
        _route = route;
        CoreNewLine = inner.NewLine.ToCharArray();
    }

    /// <summary>Makes the process's console capture task output for the node runtimes in it (<see cref="Console.Out"/> and
    /// <see cref="Console.Error"/> keep writing where they wrote). A second call does nothing.</summary>
    /// <returns>True when this call installed it.</returns>
    public static bool Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) != 0)
        {
            return false;
        }

        Console.SetOut(new TaskOutputCapture(Console.Out, isError: false, RuntimeOf));
        Console.SetError(new TaskOutputCapture(Console.Error, isError: true, RuntimeOf));
        return true;
    }

    private static TaskOutputForwarder? RuntimeOf(TaskContext context) => (context.Host as NodeRuntime)?.TaskOutput;

    public override Encoding Encoding => _inner.Encoding;

    public override void Write(char value)
    {
        _inner.Write(value);
        Capture(new ReadOnlySpan<char>(in value), endLine: false);
    }

    public override void Write(string? value)
    {
        _inner.Write(value);
        Capture(value, endLine: false);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        _inner.Write(buffer, index, count);
        Capture(buffer.AsSpan(index, count), endLine: false);
    }

    public override void Write(ReadOnlySpan<char> buffer)
    {
        _inner.Write(buffer);
        Capture(buffer, endLine: false);
    }

    public override void WriteLine()
    {
        _inner.WriteLine();
        Capture([], endLine: true);
    }

    public override void WriteLine(string? value)
    {
        _inner.WriteLine(value);
        Capture(value, endLine: true);
    }

    public override void WriteLine(ReadOnlySpan<char> buffer)
    {
        _inner.WriteLine(buffer);
        Capture(buffer, endLine: true);
    }

    public override void Flush() => _inner.Flush();

    /// <summary>Hands the complete lines of <paramref name="text"/> (with <paramref name="endLine"/>, its end too) to the
    /// forwarder of the task or call on this flow, keeping an unfinished line for its next write.</summary>
    private void Capture(ReadOnlySpan<char> text, bool endLine)
    {
        // IsSet first: it makes no context, where Current would make a plain task's.
        if (!TaskContext.IsSet || TaskContext.Current is not { } context || context.JobDriver == default || _route(context) is not { } forwarder)
        {
            return;
        }

        // Ray names an actor's lines by its class, a task's by its function.
        var name = context.Submitter is ActorCaller { ActorClass: { } actorClass } ? actorClass : context.FunctionName;
        lock (_partial)
        {
            _partial.TryGetValue(context, out var pending);
            for (var end = text.IndexOf('\n'); end >= 0; end = text.IndexOf('\n'))
            {
                Send(forwarder, context, name, pending, text[..end]);
                text = text[(end + 1)..];
            }

            if (endLine)
            {
                Send(forwarder, context, name, pending, text);
            }
            else if (!text.IsEmpty)
            {
                pending ??= _partial.GetValue(context, static _ => new StringBuilder());
                pending.Append(text);
                if (pending.Length >= MaxLineChars)
                {
                    Send(forwarder, context, name, pending, []);
                }
            }
        }
    }

    /// <summary>Sends the line <paramref name="pending"/> + <paramref name="tail"/> (without a trailing carriage return)
    /// and empties <paramref name="pending"/>.</summary>
    private void Send(TaskOutputForwarder forwarder, TaskContext context, string name, StringBuilder? pending, ReadOnlySpan<char> tail)
    {
        string line;
        if (pending is { Length: > 0 })
        {
            line = pending.Append(tail).ToString();
            pending.Clear();
        }
        else
        {
            line = tail.ToString();
        }

        if (line.EndsWith('\r'))
        {
            line = line[..^1];
        }

        for (var start = 0; start < line.Length || start == 0; start += MaxLineChars)
        {
            forwarder.Add(context.JobDriver, name, _isError, line.Length - start > MaxLineChars ? line.Substring(start, MaxLineChars) : line[start..]);
        }
    }

    protected override void Dispose(bool disposing)
    {
        // The process's console stays open: the inner writer is not this writer's to close.
    }
}
