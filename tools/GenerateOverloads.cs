#!/usr/bin/env dotnet
#:include OverloadGenerator.cs
// Writes the typed overloads of ray.Task(...) and handle.Task(...) (Client/Tasks/RayTaskExtensions.g.cs,
// Client/Actors/ActorHandle.Task.g.cs) and .RemoteMany() (Client/Tasks/MultipleReturnsExtensions.g.cs); their text comes from tools/OverloadGenerator.cs, which
// Tests/OrleansRay.Tests/GeneratedOverloadsTests.cs also compiles to fail when a checked-in copy is stale.
// Run from the repository root:  dotnet run tools/GenerateOverloads.cs  (#:include needs .NET SDK 10.0.300 or later;
// on an older SDK: ORLEANSRAY_UPDATE_GENERATED=1 dotnet test Tests/OrleansRay.Tests --filter GeneratedOverloads)
using OrleansRay.Tools;

if (!File.Exists("OrleansRay.sln"))
{
    Console.Error.WriteLine("run from the repository root: " + OverloadGenerator.Command);
    return 1;
}

var files = OverloadGenerator.Files();
foreach (var (path, text) in files)
{
    File.WriteAllText(path, text);
}

Console.WriteLine("generated " + string.Join(" and ", files.Select(f => f.Path)));
return 0;
