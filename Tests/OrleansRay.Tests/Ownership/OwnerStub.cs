using System.Reflection;
using OrleansRay.Grains;

namespace OrleansRay.Tests.Ownership;

/// <summary>An owner's endpoint that answers <see cref="INodeEndpoint.WaitObjectAsync"/> with what <see cref="Answer"/>
/// gives for each ask (a value, or an exception it throws); counts the asks. Any other call fails the test.</summary>
public class OwnerStub : DispatchProxy
{
    private int _asks;

    /// <summary>The answer to ask number n (0-based).</summary>
    public Func<int, RemoteResult> Answer { get; set; } = _ => throw new InvalidOperationException("no answer set");

    /// <summary>When set, the answer to ask number n as a task, which may never complete (an owner that never answers,
    /// as a killed driver's calls wait out Orleans' response timeout); <see cref="Answer"/> is then not used.</summary>
    public Func<int, Task<RemoteResult>>? AnswerTask { get; set; }

    /// <summary>How many times the owner was asked.</summary>
    public int Asks => Volatile.Read(ref _asks);

    /// <summary>A stub endpoint and its control.</summary>
    public static (INodeEndpoint Endpoint, OwnerStub Stub) Create(Func<int, RemoteResult> answer)
    {
        var endpoint = Create<INodeEndpoint, OwnerStub>();
        var stub = (OwnerStub)(object)endpoint;
        stub.Answer = answer;
        return (endpoint, stub);
    }

    /// <summary>An Orleans exception made through its non-public constructor, as Orleans throws it.</summary>
    public static Exception OrleansException<T>(string message)
        where T : Exception =>
        (Exception)Activator.CreateInstance(typeof(T), BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public, null, [message], null)!;

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod?.Name != nameof(INodeEndpoint.WaitObjectAsync))
        {
            throw new InvalidOperationException($"the stub owner does not answer {targetMethod?.Name}");
        }

        var ask = Interlocked.Increment(ref _asks) - 1;
        if (AnswerTask is { } answerTask)
        {
            return answerTask(ask);
        }

        try
        {
            return Task.FromResult(Answer(ask));
        }
        catch (Exception ex)
        {
            return Task.FromException<RemoteResult>(ex);
        }
    }
}
