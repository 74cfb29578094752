using System.Collections;
using System.Diagnostics;
using OrleansRay.Execution;
using OrleansRay.Ownership;

namespace OrleansRay;

/// <summary><c>IRay.WaitAsync</c> (Ray's <c>ray.wait</c>) without waiting when it can: refs looked at in order only
/// until enough are ready, a brief spin for the next one by a driver, and the not-ready list as a slice of the input
/// when the input is a previous answer's (no copy).</summary>
/// <remarks>A loop of <c>WaitAsync(notReady, 1)</c> over refs that finish in order (Ray's "wait 1k refs") then costs
/// each call a look at one or two refs, with no list copied and no continuation handed between threads.</remarks>
internal static class WaitAnswer
{
    /// <summary>How long a driver looks for the next ref to finish before it waits for any of them (50 µs).</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000;

    /// <summary>The answer if <paramref name="numReturns"/> of <paramref name="refs"/> are ready now (or after a driver's
    /// brief spin), else null; <paramref name="refs"/> is validated (no null item) by the caller, the reader of whose
    /// <c>IRay</c> is <paramref name="caller"/> (see <see cref="ObjectResolver.Find"/>).</summary>
    public static WaitResult<TRef>? TryAnswer<TRef>(IReadOnlyList<TRef> refs, int numReturns, TimeSpan? timeout, CancellationToken cancellationToken, ObjectReader caller)
        where TRef : ObjectRef
    {
        if (TryAnswerNow(refs, numReturns, caller, out var waitFor) is { } answer)
        {
            return answer;
        }

        // A driver (not a worker thread, a task or a grain turn) that may wait looks for the first not-ready ref to
        // finish for a moment: with refs finishing in order, that is the next one, often microseconds away.
        if (waitFor is null || (timeout is { } t && t != Timeout.InfiniteTimeSpan && t < TimeSpan.FromMilliseconds(1))
            || cancellationToken.CanBeCanceled || !WorkerPool.IsDriverCode || waitFor.Producer is not { } producer)
        {
            return null;
        }

        // The driver's only task, not started yet: run it here, as a get would (IPendingWork.TryRunHere); else let it go
        // to a worker thread if it was held for this driver.
        if (!(producer.IsLoneLocal && producer.TryRunHere()))
        {
            producer.Hurry();
        }

        var until = Stopwatch.GetTimestamp() + SpinTicks;
        var spinner = new SpinWait();
        while (!waitFor.IsComplete)
        {
            if (Stopwatch.GetTimestamp() > until)
            {
                return null;
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }

        return TryAnswerNow(refs, numReturns, caller, out _);
    }

    /// <summary>Looks at <paramref name="refs"/> in order until <paramref name="numReturns"/> are ready; the rest go to
    /// the not-ready list unexamined. Null when fewer are ready, with <paramref name="firstNotReady"/> the entry of
    /// the first ref not ready.</summary>
    private static WaitResult<TRef>? TryAnswerNow<TRef>(IReadOnlyList<TRef> refs, int numReturns, ObjectReader caller, out ObjectEntry? firstNotReady)
        where TRef : ObjectRef
    {
        firstNotReady = null;
        var ready = new List<TRef>(numReturns);
        List<TRef>? skipped = null; // not ready, before the last ready one
        var examined = 0;
        while (ready.Count < numReturns && examined < refs.Count)
        {
            var objectRef = refs[examined];
            var entry = ObjectResolver.Find(objectRef, caller).Entry;
            if (entry.IsComplete)
            {
                objectRef.DetachAfterRead(entry); // as a get's: found complete, a ref held by nothing else holds it alone
                ready.Add(objectRef);
            }
            else
            {
                firstNotReady ??= entry;
                (skipped ??= new List<TRef>()).Add(refs[examined]);
            }

            examined++;
        }

        if (ready.Count < numReturns)
        {
            return null;
        }

        if (skipped is null)
        {
            // The ready ones are a prefix: the rest is a slice, of the input's own array when it is a previous answer.
            return new WaitResult<TRef>(ready, refs is RefRun<TRef> run ? run.From(examined) : RefRun<TRef>.CopyOf(refs, examined));
        }

        for (var i = examined; i < refs.Count; i++)
        {
            skipped.Add(refs[i]);
        }

        return new WaitResult<TRef>(ready, skipped);
    }
}

/// <summary>An immutable run of refs over an array no one else holds: the not-ready list of a wait answer, which a
/// later wait over it slices again instead of copying.</summary>
internal sealed class RefRun<TRef> : IReadOnlyList<TRef>
{
    private readonly TRef[] _items;
    private readonly int _start;

    private RefRun(TRef[] items, int start, int count)
    {
        _items = items;
        _start = start;
        Count = count;
    }

    public int Count { get; }

    public TRef this[int index] => (uint)index < (uint)Count ? _items[_start + index] : throw new ArgumentOutOfRangeException(nameof(index), index, $"The list has {Count} items.");

    /// <summary>A run of <paramref name="refs"/> from <paramref name="start"/> on, copied.</summary>
    public static RefRun<TRef> CopyOf(IReadOnlyList<TRef> refs, int start)
    {
        var items = new TRef[refs.Count - start];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = refs[start + i];
        }

        return new RefRun<TRef>(items, 0, items.Length);
    }

    /// <summary>This run from <paramref name="start"/> on, sharing its array.</summary>
    public RefRun<TRef> From(int start) => new(_items, _start + start, Count - start);

    public IEnumerator<TRef> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return _items[_start + i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"{Count} refs";
}
