using System.Runtime.CompilerServices;

namespace Tern.Tests.TestSupport;

/// <summary>Files of this repository (the folder holding Tern.slnx), for tests of what ships beside the code.</summary>
public static class RepoFiles
{
    public static readonly string Root = Find();

    private static string Find([CallerFilePath] string thisFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(thisFile) ?? "" })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Tern.slnx"))) return dir.FullName;
        throw new InvalidOperationException("the repository root (Tern.slnx) was not found");
    }

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);
}
