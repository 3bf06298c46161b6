using System.Runtime.CompilerServices;

namespace Tern.Tests.TestSupport;

/// <summary>
/// Locates ../shared (the reference data beside the repository: specs, oracle outputs, real models).
/// Tests that need it use <see cref="SharedFactAttribute"/>, which skips them with a visible reason when it is absent.
/// </summary>
public static class SharedData
{
    public static readonly string? Root = Find();

    private static string? Find([CallerFilePath] string thisFile = "")
    {
        var env = Environment.GetEnvironmentVariable("TERN_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return Path.GetFullPath(env);
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(thisFile) ?? "" })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "oracle");
                if (Directory.Exists(candidate)) return Path.Combine(dir.FullName, "shared");
            }
        }
        return null;
    }

    public static string PathOf(params string[] parts) =>
        Path.Combine([Root ?? throw new InvalidOperationException("../shared is not present"), .. parts]);

    public const string SkipReason = "../shared (oracle data) not found beside the repository; set TERN_SHARED or clone it beside the repo";
}

/// <summary>A [Fact] that is skipped, with a visible reason, when ../shared is absent.</summary>
public sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute()
    {
        if (SharedData.Root is null) Skip = SharedData.SkipReason;
    }
}

/// <summary>A [Theory] that is skipped, with a visible reason, when ../shared is absent.</summary>
public sealed class SharedTheoryAttribute : TheoryAttribute
{
    public SharedTheoryAttribute()
    {
        if (SharedData.Root is null) Skip = SharedData.SkipReason;
    }
}
