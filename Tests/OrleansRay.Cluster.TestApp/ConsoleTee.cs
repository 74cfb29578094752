using System.Text;

namespace OrleansRay.Cluster.TestApp;

/// <summary>The console's output and error as they were, remembering what was written to either (a driver watches for
/// the lines its tasks' output brings).</summary>
public sealed class ConsoleTee : TextWriter
{
    private readonly TextWriter _inner;
    private readonly StringBuilder _seen;

    private ConsoleTee(TextWriter inner, StringBuilder seen)
    {
        _inner = inner;
        _seen = seen;
    }

    /// <summary>Tees <see cref="Console.Out"/> and <see cref="Console.Error"/>; returns what they saw.</summary>
    public static Seen Install()
    {
        var seen = new StringBuilder();
        Console.SetOut(new ConsoleTee(Console.Out, seen));
        Console.SetError(new ConsoleTee(Console.Error, seen));
        return new Seen(seen);
    }

    public override Encoding Encoding => _inner.Encoding;

    public override void Write(char value)
    {
        _inner.Write(value);
        lock (_seen)
        {
            _seen.Append(value);
        }
    }

    public override void Write(string? value)
    {
        _inner.Write(value);
        lock (_seen)
        {
            _seen.Append(value);
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        _inner.Write(buffer, index, count);
        lock (_seen)
        {
            _seen.Append(buffer, index, count);
        }
    }

    public override void Flush() => _inner.Flush();

    /// <summary>What the tees saw.</summary>
    public sealed class Seen(StringBuilder text)
    {
        public string Text
        {
            get
            {
                lock (text)
                {
                    return text.ToString();
                }
            }
        }

        public bool Contains(string value) => Text.Contains(value, StringComparison.Ordinal);
    }
}
