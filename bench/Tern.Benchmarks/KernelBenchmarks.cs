using BenchmarkDotNet.Attributes;
using Tern.Gguf;
using Tern.Kernels;

namespace Tern.Benchmarks;

/// <summary>One 2B-4T projection (in cache after the first call) per kernel: mat-vec and a 64-token mat-mat, 1 thread.</summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private ModelShapes _model = null!;
    private TernaryMatrix _w = null!;
    private sbyte[] _q = [];
    private int[] _dots = [];

    public static IEnumerable<string> Kernels => KernelRegistry.Supported.Where(k => k.Name != "reference").Select(k => k.Name);

    [ParamsSource(nameof(Kernels))] public string Kernel { get; set; } = "";
    [Params(GgmlType.I2_S, GgmlType.TQ2_0, GgmlType.TQ1_0)] public GgmlType Type { get; set; }
    /// <summary>Index into <see cref="ModelShapes.Layer"/>: 0 = attn_q 2560×2560, 6 = ffn_down 2560 rows × K 6912.</summary>
    [Params(0, 6)] public int Shape { get; set; }

    private ITernaryKernel _kernel = null!;

    [GlobalSetup]
    public void Setup()
    {
        _kernel = KernelRegistry.ByName(Kernel);
        _model = new ModelShapes(Type, 1);
        _w = _model.Matrices[Shape];
        _q = new sbyte[64 * _w.Cols];
        new Random(3).NextBytes((byte[])(Array)_q);
        _dots = new int[64 * _w.Rows];
    }

    [GlobalCleanup] public void Cleanup() => _model.Dispose();

    [Benchmark] public void MatVec() => _kernel.Dots(_w, 0, _w.Rows, _q.AsSpan(0, _w.Cols), 1, _dots, _w.Rows);

    [Benchmark] public void MatMat64() => _kernel.Dots(_w, 0, _w.Rows, _q, 64, _dots, _w.Rows);
}
