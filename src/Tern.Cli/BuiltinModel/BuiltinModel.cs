using System.Security.Cryptography;
using Tern.Download;

namespace Tern.Cli.BuiltinModel;

/// <summary>
/// The demo model embedded in the tool (see README.md beside this file). Models are memory-mapped from files, so the
/// resource is written once into the cache (<c>builtin/</c>, named by its hash) and that file is used from then on.
/// </summary>
internal static class BuiltinModel
{
    public const string Name = "stories1M";
    private const string Resource = "Tern.Cli.BuiltinModel.stories1M.gguf";

    /// <summary>The path of the model file, written into the cache first if it is not there.</summary>
    public static string EnsureFile(string? cacheDirectory = null)
    {
        using var resource = typeof(BuiltinModel).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"the built-in model resource {Resource} is missing from this build");
        var bytes = new byte[resource.Length];
        resource.ReadExactly(bytes);
        string hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
        string dir = Path.Combine(cacheDirectory ?? ModelDownloader.DefaultCacheDirectory(Environment.GetEnvironmentVariable), "builtin");
        string path = Path.Combine(dir, $"{Name}-{hash}.gguf");
        if (File.Exists(path) && new FileInfo(path).Length == bytes.Length) return path;
        Directory.CreateDirectory(dir);
        // Written beside its final name and renamed: a concurrent or interrupted first run never leaves a partial file.
        Files.AtomicFile.Write(path, s => s.Write(bytes));
        return path;
    }
}
