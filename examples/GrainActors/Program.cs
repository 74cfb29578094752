// An actor behind an Orleans grain interface, on an embedded single-node cluster:
//   dotnet run --project examples/GrainActors
using GrainActors;
using OrleansRay;

await using IRay ray = await Ray.InitAsync(new RayOptions { NumCpus = 4 });

// Created with resources and a name; the result is the interface's Orleans proxy.
IScoreboard board = await ray.CreateActorAsync<IScoreboard>(new ActorOptions { Name = "scoreboard", NumCpus = 1 });
Console.WriteLine($"ada: {await board.AddPoints("ada", 3)}");

// Anyone in the job finds it by name.
IScoreboard same = await ray.GetActorProxyAsync<IScoreboard>("scoreboard");
Console.WriteLine($"ada: {await same.AddPoints("ada", 2)}");

// Tasks take the proxy as an argument and call it like any grain.
ObjectRef<int>[] plays =
[
    ray.Task(Plays.Play, board, "grace", "compiler").Remote(),
    ray.Task(Plays.Play, board, "linus", "kernel").Remote(),
];
Console.WriteLine($"scores from tasks: {string.Join(", ", await ray.GetAsync(plays))}");
Console.WriteLine($"leader: {await board.Leader()}");

await ray.KillAsync(board);
try
{
    await board.Leader();
}
catch (ActorDiedException)
{
    Console.WriteLine("killed: calls now throw ActorDiedException");
}
