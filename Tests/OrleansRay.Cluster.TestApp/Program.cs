using System.Globalization;

namespace OrleansRay.Cluster.TestApp;

/// <summary>The TestApp as a driver program, for <c>orleansray job submit -- dotnet OrleansRay.Cluster.TestApp.dll VERB</c>:
/// it connects with <c>Address = "auto"</c> (the <c>ORLEANSRAY_ADDRESS</c> a submitted job gets) and runs as the job
/// <c>ORLEANSRAY_JOB_ID</c> names.</summary>
/// <remarks>Verbs: <c>squares N</c> sums the squares of 1..N as tasks and prints the sum; <c>exit CODE</c> runs one task,
/// then exits with CODE after disposing its driver (the job's exit code must still win); <c>wait</c> prints "connected"
/// and waits to be stopped.</remarks>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var verb = args.Length > 0 ? args[0] : string.Empty;
        var number = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0;
        await using (var ray = await Ray.InitAsync(new RayOptions { Address = "auto" }))
        {
            switch (verb)
            {
                case "squares":
                    var squares = await ray.GetAsync(Enumerable.Range(1, number).Select(i => ray.Task(Work.Square, i).Remote()).ToArray(), TimeSpan.FromSeconds(60));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sum of squares 1..{number} = {squares.Sum()}"));
                    return 0;
                case "exit":
                    var square = await ray.GetAsync(ray.Task(Work.Square, 3).Remote(), TimeSpan.FromSeconds(60));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"square 3 = {square}"));
                    break;
                case "wait":
                    Console.WriteLine("connected");
                    await Task.Delay(Timeout.Infinite);
                    break;
                default:
                    await Console.Error.WriteLineAsync($"unknown verb '{verb}': squares N | exit CODE | wait");
                    return 2;
            }
        }

        return number;
    }
}
