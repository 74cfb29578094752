using System.Collections;
using System.Runtime.CompilerServices;

namespace OrleansRay.Ownership;

/// <summary>The values of work with several returns (Ray's <c>num_returns</c>), split where the function ran from the
/// tuple or list it returned: one value per return object, in order. It never travels or gets stored itself: each
/// element becomes an object of its own (<see cref="MultipleReturns.Complete"/>).</summary>
internal sealed class ReturnValues
{
    public ReturnValues(object?[] elements)
    {
        Elements = elements;
    }

    /// <summary>The values, return 1 first.</summary>
    public object?[] Elements { get; }

    /// <summary>Splits what a function submitted with <paramref name="count"/> returns returned: a
    /// <see cref="ValueTuple"/> (or any <see cref="ITuple"/>) or a list (an array) of exactly <paramref name="count"/>
    /// elements.</summary>
    /// <exception cref="InvalidOperationException">The value is neither, or has another number of elements (Ray's
    /// "Task returned N objects, but num_returns=M"); the work fails with it.</exception>
    public static ReturnValues Split(object? value, int count, string functionName)
    {
        switch (value)
        {
            case ITuple tuple when tuple.Length == count:
            {
                var elements = new object?[count];
                for (var i = 0; i < count; i++)
                {
                    elements[i] = tuple[i];
                }

                return new ReturnValues(elements);
            }

            case IList list when list.Count == count:
            {
                var elements = new object?[count];
                list.CopyTo(elements, 0);
                return new ReturnValues(elements);
            }

            default:
                var returned = value switch
                {
                    null => "null",
                    ITuple tuple => $"a tuple of {tuple.Length} elements ({value.GetType().Name})",
                    ICollection collection => $"{collection.Count} elements ({value.GetType().Name})",
                    _ => $"a {value.GetType().FullName}",
                };
                throw new InvalidOperationException(
                    $"{functionName} was submitted with {count} returns (num_returns = {count}) but returned {returned}: it must return a ValueTuple or an array/list of exactly {count} elements.");
        }
    }

    /// <summary>The values as they arrive from the node that ran the work: return 1, then the others.</summary>
    public static ReturnValues FromWire(object? first, ReturnValue[] others)
    {
        var elements = new object?[others.Length + 1];
        elements[0] = first;
        for (var i = 0; i < others.Length; i++)
        {
            elements[i + 1] = others[i].Value;
        }

        return new ReturnValues(elements);
    }

    /// <summary>Returns 2..N as they travel to their owner, paired with their ids (<paramref name="otherIds"/>, in order).</summary>
    /// <exception cref="InvalidOperationException">The counts differ (the values do not belong to these ids).</exception>
    public ReturnValue[] OthersToWire(ObjectId[] otherIds)
    {
        if (otherIds.Length != Elements.Length - 1)
        {
            throw new InvalidOperationException($"{Elements.Length} return values for {otherIds.Length + 1} return objects.");
        }

        var others = new ReturnValue[otherIds.Length];
        for (var i = 0; i < others.Length; i++)
        {
            others[i] = new ReturnValue(otherIds[i], Elements[i + 1]);
        }

        return others;
    }
}

/// <summary>The owner's side of work with several returns (Ray's <c>num_returns</c>): return 1 is the work's usual result
/// entry, returns 2..N entries of their own in the same table, each freed, stored and rebuilt separately; they complete
/// together from one outcome, and an error fails them all.</summary>
internal static class MultipleReturns
{
    /// <summary>True once <paramref name="first"/> and each of <paramref name="others"/> (null: none) is complete.</summary>
    public static bool AllComplete(ObjectEntry first, ObjectEntry[]? others)
    {
        if (!first.IsComplete)
        {
            return false;
        }

        foreach (var other in others ?? [])
        {
            if (!other.IsComplete)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The ids of <paramref name="others"/> (returns 2..N), or null when there are none.</summary>
    public static ObjectId[]? Ids(ObjectEntry[]? others)
    {
        if (others is null)
        {
            return null;
        }

        var ids = new ObjectId[others.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = others[i].Id;
        }

        return ids;
    }

    /// <summary>When <paramref name="primary"/> first completes with an error (the work failed, was cancelled, its
    /// actor died, an argument was lost...), the other returns still pending fail with the same error: whichever path
    /// fails the work fails each of its returns.</summary>
    public static void LinkFailures(ObjectEntry primary, ObjectEntry[] others) =>
        primary.OnComplete(entry =>
        {
            if (entry.Read().Error is { } error)
            {
                Fail(others, error);
            }
        });

    /// <summary>Fails each of <paramref name="entries"/> still pending with <paramref name="error"/>.</summary>
    public static void Fail(ObjectEntry[] entries, RayError error)
    {
        foreach (var entry in entries)
        {
            entry.TrySetError(error);
            entry.Table?.DropIfOrphaned(entry);
        }
    }

    /// <summary>Completes <paramref name="primary"/> and <paramref name="others"/> from the work's outcome: each with its
    /// element of <paramref name="value"/> (a <see cref="ReturnValues"/>; a large element goes to the object store
    /// alone, see <see cref="ObjectEntry.TrySetValue"/>), or all with <paramref name="error"/>. Entries already complete
    /// keep their value (a rerun for one lost return fills only the returns that need it). The caller drops
    /// <paramref name="primary"/> if it is orphaned; the others are dropped here.</summary>
    public static void Complete(ObjectEntry primary, ObjectEntry[] others, object? value, RayError? error)
    {
        if (error is null && value is ReturnValues values && values.Elements.Length == others.Length + 1)
        {
            SetValue(primary, values.Elements[0]);
            for (var i = 0; i < others.Length; i++)
            {
                SetValue(others[i], values.Elements[i + 1]);
                others[i].Table?.DropIfOrphaned(others[i]);
            }

            return;
        }

        error ??= RayError.FromException(new InvalidOperationException(
            $"Work with {others.Length + 1} returns produced {(value is ReturnValues v ? v.Elements.Length + " values" : "one value")}."), string.Empty);
        primary.TrySetError(error);
        Fail(others, error);
    }

    /// <summary>Sets one return's value. A rerun for another lost return also stored this one on the node that ran it:
    /// when this return was freed meanwhile, that stray copy is freed too (one still owned keeps its first copy, and the
    /// stray goes with it when it is freed: copies are freed by id on every node).</summary>
    private static void SetValue(ObjectEntry entry, object? value)
    {
        if (!entry.TrySetValue(value) && value is StoredObject stray && entry.Table is { } table && !table.Owns(entry))
        {
            table.FreeStray(stray);
        }
    }

    /// <summary>A result of work with several returns (Ray's <c>num_returns</c>) as it travels: return 1 as the value,
    /// returns 2..N (<paramref name="otherIds"/>) each with its own id and value; unchanged for work with one return or
    /// an error.</summary>
    public static RemoteResult ToWire(RemoteResult result, ObjectId[]? otherIds)
    {
        if (otherIds is null || result.Error is not null || result.Value is not ReturnValues values)
        {
            return otherIds is not null && result.Error is null
                ? result with { Value = null, Error = RayError.Create(RayErrorKind.TaskFailed, $"Work with {otherIds.Length + 1} returns produced one value.") }
                : result;
        }

        return result with { Value = values.Elements[0], OtherReturns = values.OthersToWire(otherIds) };
    }
}
