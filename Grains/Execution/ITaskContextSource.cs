namespace OrleansRay.Execution;

/// <summary>A run of user code as the <see cref="Invoker"/> sees it: its name and return count, and the
/// <see cref="TaskContext"/> the code gets when it asks (Ray's runtime context). A <see cref="TaskContext"/> is its own
/// source; a plain task's spec is a source that makes its context only when the code asks for it.</summary>
/// <remarks>Most tasks never ask (they do not read their cancellation token or name, submit nothing and block in no
/// get), and a context made for every run was about a seventh of what a task allocates (issue 18).</remarks>
internal interface ITaskContextSource
{
    /// <summary>The context of the current run, made on the first ask and the same object after it.</summary>
    TaskContext Context { get; }

    /// <summary>The task's or method's display name (as <see cref="TaskContext.FunctionName"/>).</summary>
    string FunctionName { get; }

    /// <summary>How many return objects the run has (Ray's <c>num_returns</c>; as <see cref="TaskContext.NumReturns"/>).</summary>
    int NumReturns { get; }

    /// <summary>The job, namespace and runtime env variables of the run (as <see cref="TaskContext.Job"/>).</summary>
    JobScope Job { get; }
}
