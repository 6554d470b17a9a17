namespace Fleetwatch.Tests.Fixtures;

/// <summary>The checkout the tests run from: its root holds build.sh, docs/ and deploy/.</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "build.sh"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("build.sh not found above " + AppContext.BaseDirectory);
    }
}
