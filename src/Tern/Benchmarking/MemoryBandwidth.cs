using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using Tern.Threading;

namespace Tern.Benchmarking;

/// <summary>
/// Measures read bandwidth the way generation reads weights: a vectorized sum over a buffer far larger than the
/// caches, split across the worker threads. Used by `tern bench` to report the generation roof in the same run.
/// </summary>
public static unsafe class MemoryBandwidth
{
    /// <summary>Best of <paramref name="repeats"/> passes over <paramref name="bytes"/> bytes, in bytes per second.</summary>
    public static double Measure(WorkerPool pool, long bytes = 1L << 30, int repeats = 3)
    {
        long count = bytes / sizeof(float);
        float* data = (float*)NativeMemory.AlignedAlloc((nuint)(count * sizeof(float)), 64);
        try
        {
            new Span<byte>(data, (int)Math.Min(int.MaxValue, bytes)).Fill(1);
            if (bytes > int.MaxValue) new Span<byte>((byte*)data + int.MaxValue, (int)(bytes - int.MaxValue)).Fill(1);
            var body = new SumBody { Data = data, Count = count, Workers = pool.ThreadCount, Partial = new float[pool.ThreadCount * 16] };
            double best = 0;
            for (int r = 0; r < repeats + 1; r++)
            {
                var sw = Stopwatch.StartNew();
                pool.For(pool.ThreadCount, body);
                double s = sw.Elapsed.TotalSeconds;
                if (r > 0) best = Math.Max(best, bytes / s); // the first pass warms the pages
            }
            return best;
        }
        finally
        {
            NativeMemory.AlignedFree(data);
        }
    }

    private sealed class SumBody : IParallelBody
    {
        public float* Data;
        public long Count;
        public int Workers;
        public float[] Partial = []; // one slot per worker, 64 bytes apart (no false sharing)

        public void Run(int start, int end)
        {
            for (int w = start; w < end; w++)
            {
                long chunk = Count / Workers / Vector<float>.Count * Vector<float>.Count;
                float* p = Data + w * chunk;
                var a0 = Vector<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
                int vc = Vector<float>.Count;
                for (long i = 0; i + 4 * vc <= chunk; i += 4 * vc)
                {
                    a0 += *(Vector<float>*)(p + i);
                    a1 += *(Vector<float>*)(p + i + vc);
                    a2 += *(Vector<float>*)(p + i + 2 * vc);
                    a3 += *(Vector<float>*)(p + i + 3 * vc);
                }
                Partial[w * 16] = Vector.Sum(a0 + a1 + a2 + a3);
            }
        }
    }
}
