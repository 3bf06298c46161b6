using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Tern.Benchmarks;

/// <summary>Estimates the core clock from a chain of dependent 64-bit adds (1 cycle each), timed by thread CPU time.</summary>
public static class Calibrate
{
    public static double GHz()
    {
        Chain(1_000_000);
        var best = double.MaxValue;
        for (int i = 0; i < 5; i++)
        {
            var proc = Process.GetCurrentProcess();
            var c0 = proc.TotalProcessorTime;
            Chain(400_000_000);
            proc.Refresh();
            best = Math.Min(best, (proc.TotalProcessorTime - c0).TotalSeconds);
        }
        return 400_000_000 * 4 / best / 1e9;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static long Chain(long n)
    {
        long x = n;
        for (long i = 0; i < n; i++) { x += i; x ^= 3; x += 7; x ^= i; } // 4 dependent 1-cycle ops per iteration
        return x;
    }
}
