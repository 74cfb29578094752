namespace OrleansRay.Bench.Scale;

/// <summary>The remote functions of the scalability-envelope rows.</summary>
internal static class ScaleFunctions
{
    /// <summary>Ray's <c>sum_args(*args)</c> of "single task with 10,000 ref arguments": gets every argument (refs passed
    /// inside an array stay refs, so the task reads them itself) and returns the sum of all their elements.</summary>
    public static async Task<long> SumArguments(ObjectRef<int[]>[] arguments)
    {
        var arrays = await Ray.Current.GetAsync(arguments);
        long sum = 0;
        foreach (var array in arrays)
        {
            foreach (var value in array)
            {
                sum += value;
            }
        }

        return sum;
    }

    /// <summary>Ray's <c>create_object_containing_ref()</c> of "get object containing 10,000 refs": puts
    /// <paramref name="count"/> objects (each the value 1) and returns their refs, so the task's result is one object
    /// holding <paramref name="count"/> refs.</summary>
    public static async Task<ObjectRef<int>[]> PutOnes(int count)
    {
        var ray = Ray.Current;
        var refs = new ObjectRef<int>[count];
        for (var i = 0; i < count; i++)
        {
            refs[i] = await ray.PutAsync(1);
        }

        return refs;
    }
}
