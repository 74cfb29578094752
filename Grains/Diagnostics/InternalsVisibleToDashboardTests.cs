using System.Runtime.CompilerServices;

// The dashboard's tests check the diagnostics types directly (the event log's memory bound). Here rather than in
// OrleansRay.Grains.csproj, whose owner is changing it: move it next to the other InternalsVisibleTo items there.
[assembly: InternalsVisibleTo("OrleansRay.Dashboard.Tests")]
