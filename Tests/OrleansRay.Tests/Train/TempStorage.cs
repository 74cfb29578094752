namespace OrleansRay.Tests.Training;

/// <summary>A storage path of its own for one test, deleted when disposed.</summary>
internal sealed class TempStorage : IDisposable
{
    public TempStorage() => Path = Directory.CreateTempSubdirectory("orleansray-train-test-").FullName;

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone.
        }
    }
}
