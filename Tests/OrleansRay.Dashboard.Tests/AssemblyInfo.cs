// Real processes, real ports and a real browser on 2 shared cores: one test at a time keeps timings honest.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
