namespace Quickstart;

/// <summary>The seed's Counter actor.</summary>
public sealed class Counter
{
    private int _value;

    public int Increment() => ++_value;
}
