using System.Runtime.InteropServices;
using Tern.Gguf;
using Tern.Kernels;

namespace Tern.Benchmarks;

/// <summary>Random ternary matrices in the BitNet b1.58 2B-4T shapes, in native memory (never moved by the GC).</summary>
public sealed unsafe class ModelShapes : IDisposable
{
    /// <summary>One layer's projections as (name, rows, cols): q, k, v, o, gate, up, down.</summary>
    public static readonly (string Name, int Rows, int Cols)[] Layer =
    [
        ("attn_q", 2560, 2560), ("attn_k", 640, 2560), ("attn_v", 640, 2560), ("attn_o", 2560, 2560),
        ("ffn_gate", 6912, 2560), ("ffn_up", 6912, 2560), ("ffn_down", 2560, 6912),
    ];

    private readonly List<nint> _blocks = new();

    public ModelShapes(GgmlType type, int layers, int seed = 1) : this(type, layers, Layer, seed) { }

    /// <summary><paramref name="layers"/> copies of the given projections.</summary>
    public ModelShapes(GgmlType type, int layers, (string Name, int Rows, int Cols)[] shapes, int seed = 1)
    {
        var rng = new Random(seed);
        for (int l = 0; l < layers; l++)
            foreach (var (name, rows, cols) in shapes)
            {
                long bytes = RowBytes(type, cols) * rows + 32;
                byte* p = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
                _blocks.Add((nint)p);
                var span = new Span<byte>(p, checked((int)bytes));
                rng.NextBytes(span);
                if (type == GgmlType.I2_S) // valid codes only (0..2), as in real files
                    for (int i = 0; i < span.Length; i++) { byte b = span[i]; span[i] = (byte)(Fix(b >> 6) << 6 | Fix(b >> 4 & 3) << 4 | Fix(b >> 2 & 3) << 2 | Fix(b & 3)); }
                Matrices.Add(new TernaryMatrix($"blk.{l}.{name}", type, rows, cols, p, bytes, 1f));
            }
        static int Fix(int c) => c == 3 ? 1 : c;
    }

    public List<TernaryMatrix> Matrices { get; } = new();

    public long TotalBytes => Matrices.Sum(m => m.ByteSize);
    public long TotalMacs => Matrices.Sum(m => (long)m.Rows * m.Cols);

    public static long RowBytes(GgmlType type, int cols) => type switch
    {
        GgmlType.I2_S => cols / 4,
        GgmlType.TQ2_0 => cols / 256 * 66,
        GgmlType.TQ1_0 => cols / 256 * 54,
        _ => throw new ArgumentException(type.ToString()),
    };

    public void Dispose()
    {
        foreach (var p in _blocks) NativeMemory.AlignedFree((void*)p);
        _blocks.Clear();
    }
}
