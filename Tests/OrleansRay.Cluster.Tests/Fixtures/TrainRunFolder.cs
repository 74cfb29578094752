using System.Globalization;
using OrleansRay.Cluster.TestApp;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>A training run's folder on this machine (every node of the test cluster runs here, so all ranks share it):
/// the run's storage path, the marks <see cref="LinearTraining.Loop"/> leaves and the file that releases a held run.
/// Dispose releases the run (so no held loop outlives the test) and deletes the folder.</summary>
public sealed class TrainRunFolder : IDisposable
{
    public TrainRunFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "orleansray-train-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path);
    }

    /// <summary>The storage path (RunConfig.StoragePath).</summary>
    public string Path { get; }

    /// <summary>Where the ranks leave their marks (LinearTrainConfig.MarkerDirectory, as the TestApp's <c>train</c> verb sets it).</summary>
    public string Marks => System.IO.Path.Combine(Path, "marks");

    /// <summary>The file that ends the hold (LinearTrainConfig.ReleaseFile).</summary>
    public string ReleaseFile => System.IO.Path.Combine(Path, "release");

    /// <summary>A config that trains <paramref name="epochs"/> epochs and holds after <paramref name="holdAfterEpoch"/>.</summary>
    public LinearTrainConfig Config(int epochs, int holdAfterEpoch) =>
        new() { Epochs = epochs, HoldAfterEpoch = holdAfterEpoch, MarkerDirectory = Marks, ReleaseFile = ReleaseFile };

    /// <summary>The ranks of <paramref name="attempt"/> that started their loop: rank, node id, the epoch they resumed from.</summary>
    public IReadOnlyList<(int Rank, string Node, int StartEpoch)> Starts(int attempt) =>
        Marked(attempt, ".start").Select(m =>
        {
            var parts = m.Text.Split(' ');
            return (m.Rank, parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture));
        }).OrderBy(s => s.Rank).ToList();

    /// <summary>The ranks of <paramref name="attempt"/> holding for the release file.</summary>
    public IReadOnlyList<int> Held(int attempt) => Marked(attempt, ".held").Select(m => m.Rank).Order().ToList();

    /// <summary>Ends the hold of every held rank.</summary>
    public void Release()
    {
        if (Directory.Exists(Path) && !File.Exists(ReleaseFile))
        {
            File.WriteAllText(ReleaseFile, "go");
        }
    }

    public void Dispose()
    {
        Release();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A loop still writing its last mark: the folder is in the machine's temp directory either way.
        }
    }

    private IEnumerable<(int Rank, string Text)> Marked(int attempt, string extension)
    {
        if (!Directory.Exists(Marks))
        {
            yield break;
        }

        var prefix = string.Create(CultureInfo.InvariantCulture, $"a{attempt}-r");
        foreach (var file in Directory.EnumerateFiles(Marks, "a*" + extension))
        {
            var name = System.IO.Path.GetFileNameWithoutExtension(file);
            string text;
            try
            {
                text = File.ReadAllText(file).Trim();
            }
            catch (IOException)
            {
                continue; // being written: the next poll reads it
            }

            if (name.StartsWith(prefix, StringComparison.Ordinal) && text.Length > 0)
            {
                yield return (int.Parse(name[prefix.Length..], CultureInfo.InvariantCulture), text);
            }
        }
    }
}
