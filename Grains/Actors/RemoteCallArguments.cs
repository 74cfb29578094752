namespace OrleansRay.Actors;

/// <summary>Turns the object arguments of a batch of actor calls into values before the batch leaves this process (a
/// node elsewhere cannot read this process's objects), waiting for each in call order as Ray's actor tasks do.</summary>
internal static class RemoteCallArguments
{
    /// <summary>Object arguments become values (waiting for them in call order); a call whose argument failed, or that
    /// was cancelled meanwhile, fails here and travels as a skip marker so the caller's sequence stays contiguous.</summary>
    public static async Task<ActorCall[]> ResolveAsync(ActorServices runtime, List<ActorCall> batch, List<ActorCallHandle> handles)
    {
        var calls = new ActorCall[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var call = batch[i];
            if (call.Skip || !call.Args.Any(static a => a.IsRef))
            {
                calls[i] = call;
                continue;
            }

            var args = new TaskArg[call.Args.Length];
            RayError? failure = null;
            for (var j = 0; j < args.Length && failure is null; j++)
            {
                var arg = call.Args[j];
                if (!arg.IsRef)
                {
                    args[j] = arg;
                    continue;
                }

                if (runtime.Reader.TryGetArgument(arg, out var dependency) && !dependency.IsComplete)
                {
                    dependency.Producer?.Hurry(); // held for its driver to run: this call waits for it instead
                    await Task.WhenAny(dependency.WhenComplete(), handles[i].Cancelled).ConfigureAwait(false);
                }

                if (handles[i].IsCancelled)
                {
                    failure = RayError.Create(RayErrorKind.Cancelled, $"Actor call {call.Method.DisplayName} was cancelled.", call.Method.DisplayName);
                    break;
                }

                failure = runtime.Reader.ReadForRemote(arg, call.Method.DisplayName, out var value);
                args[j] = TaskArg.FromValue(value);
            }

            if (failure is not null)
            {
                handles[i].Entry.TrySetError(failure);
                calls[i] = call with { Args = Array.Empty<TaskArg>(), Skip = true };
            }
            else
            {
                // A stored argument travels as where it lives: the caller's refs keep it alive until the call's result
                // arrives (the handle is the result's producer until then), or the actor's node could not pull it.
                handles[i].HeldArguments = call.Args;
                calls[i] = call with { Args = args };
            }
        }

        return calls;
    }
}
