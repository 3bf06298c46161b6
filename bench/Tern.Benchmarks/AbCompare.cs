using System.Reflection;
using System.Runtime.Loader;

namespace Tern.Benchmarks;

/// <summary>
/// In-process A/B of two builds: each directory's Tern.Benchmarks.dll (with its own Tern.dll) goes into a separate
/// <see cref="AssemblyLoadContext"/>, and their <see cref="Throughput"/> benchmarks run alternately, round after
/// round, so both builds see the same machine state. A shared VM can drift by 20–40 % within minutes — more than most
/// changes gain — so separate runs minutes apart cannot tell them apart.
/// </summary>
public static class AbCompare
{
    public static void Run(string[] args)
    {
        if (args.Length < 3 || !int.TryParse(args[2], out int rounds) || rounds < 1)
        {
            Console.Error.WriteLine("usage: ab DIR_A DIR_B ROUNDS [throughput arguments]   (DIR: `dotnet build -c Release bench/Tern.Benchmarks -o DIR`)");
            return;
        }
        var builds = args[..2].Select(dir => (Dir: dir, Run: Load(dir))).ToArray();
        for (int r = 0; r < rounds; r++)
            foreach (var (dir, run) in builds)
            {
                Console.WriteLine($"== {dir}, round {r + 1}");
                run.Invoke(null, [args[3..]]);
            }
    }

    private static MethodInfo Load(string dir)
    {
        string dll = Path.GetFullPath(Path.Combine(dir, "Tern.Benchmarks.dll"));
        if (!File.Exists(dll)) throw new FileNotFoundException($"no Tern.Benchmarks.dll in {dir}", dll);
        var assembly = new BuildContext(dll).LoadFromAssemblyPath(dll);
        return assembly.GetType("Tern.Benchmarks.Throughput")?.GetMethod("Run", [typeof(string[])])
            ?? throw new InvalidOperationException($"{dll} has no Throughput.Run(string[])");
    }

    /// <summary>Resolves a build's own assemblies from its directory; the framework's come from the default context.</summary>
    private sealed class BuildContext(string mainAssembly) : AssemblyLoadContext($"build {mainAssembly}")
    {
        private readonly AssemblyDependencyResolver _resolver = new(mainAssembly);

        protected override Assembly? Load(AssemblyName name) =>
            name.Name is { } n && !n.StartsWith("System.", StringComparison.Ordinal) && _resolver.ResolveAssemblyToPath(name) is { } path
                ? LoadFromAssemblyPath(path)
                : null;
    }
}
