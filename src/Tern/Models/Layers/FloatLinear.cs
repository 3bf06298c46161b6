using Tern.Kernels;

namespace Tern.Models.Layers;

/// <summary>A float projection (F32/F16/BF16/Q8_0/Q6_K weights × float32 activations), used for output layers and float-stored models.</summary>
public sealed class FloatLinear : Linear
{
    [ThreadStatic] private static float[]? t_row;

    public FloatLinear(FloatMatrix w, float extraScale = 1f) : base(w.Name, w.Cols, w.Rows)
    {
        Weights = w; ExtraScale = extraScale;
    }

    public FloatMatrix Weights { get; }
    public float ExtraScale { get; }
    public override long WeightBytes => Weights.ByteSize;

    private const int PrefetchRows = 2;

    private int _allFinite; // 0 unknown, 1 yes, 2 no; one scan of the matrix on first use

    private bool AllFinite
    {
        get
        {
            if (_allFinite == 0)
            {
                bool ok = true;
                for (int r = 0; r < Weights.Rows && ok; r++)
                    ok = F16Dot.AllFinite(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(Weights.RowData(r)));
                _allFinite = ok ? 1 : 2;
            }
            return _allFinite == 1;
        }
    }

    private static unsafe void Prefetch(ReadOnlySpan<byte> row)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        fixed (byte* p = row)
            for (int i = 0; i < row.Length; i += 64) System.Runtime.Intrinsics.X86.Sse.Prefetch1(p + i);
    }

    public override void ComputeRows(LinearInput x, Span<float> y, int row0, int row1)
    {
        if (Weights.Type == Gguf.GgmlType.F16 && (x.Count == 1 || (AllFinite && F16Dot.FourRowsSupported(In))))
        {
            ComputeRowsF16(x, y, row0, row1);
            return;
        }
        var row = t_row is { } b && b.Length >= In ? b.AsSpan(0, In) : (t_row = new float[Math.Max(In, 4096)]).AsSpan(0, In);
        for (int r = row0; r < row1; r++)
        {
            Weights.DecodeRow(r, row);
            for (int t = 0; t < x.Count; t++)
            {
                float v = FloatDot.Dot(row, x.Row(t));
                y[t * Out + r] = Scaled(v);
            }
        }
    }

    [ThreadStatic] private static float[]? t_scaled;

    /// <summary>A dot times the layer's extra scale (the multiply skipped when it is 1, as every path did).</summary>
    private float Scaled(float v) => ExtraScale == 1f ? v : v * ExtraScale;

    /// <summary>
    /// F16 rows converted in registers instead of widened to memory first. Blocks of four rows (contiguous in the file)
    /// go through <see cref="F16Dot.DotFinite4x4"/> per four tokens and <see cref="F16Dot.DotFinite4"/> per token left:
    /// the first call streams the block from memory, the others find its 20 KB (2B-4T) in cache, so a batch of
    /// decoding sequences reads the output matrix once. Every value is the single-row <see cref="F16Dot.Dot"/>'s,
    /// whichever path computes it.
    /// </summary>
    private void ComputeRowsF16(LinearInput x, Span<float> y, int row0, int row1)
    {
        int tokens = x.Count, r = row0;
        var xs = t_scaled is { } sb && sb.Length >= tokens * In ? sb.AsSpan(0, tokens * In) : (t_scaled = new float[Math.Max(tokens * In, 4096)]).AsSpan(0, tokens * In);
        bool scaled = row1 - row0 >= 4 && AllFinite && F16Dot.FourRowsSupported(In);
        for (int t = 0; t < tokens && scaled; t++) scaled = F16Dot.ScaleForFourRows(x.Row(t), xs.Slice(t * In, In));
        if (scaled)
        {
            // DotFinite4 prefetches inside its loop (a burst of whole-row prefetches per step measured slower).
            Span<float> four = stackalloc float[32];
            bool byFour = tokens >= 4 && F16Dot.FourTokensSupported(In);
            for (; r + 4 <= row1; r += 4)
            {
                unsafe
                {
                    var rows = (ushort*)(Weights.Data + r * Weights.RowBytes);
                    int t = 0;
                    if (byFour)
                        fixed (float* px = xs)
                        {
                            for (; t + 8 <= tokens; t += 8)
                            {
                                F16Dot.DotFinite4x8(rows, Weights.RowBytes / 2, px + (long)t * In, In, In, four);
                                for (int j = 0; j < 32; j++) y[(t + j / 4) * Out + r + j % 4] = Scaled(four[j]);
                            }
                            for (; t + 4 <= tokens; t += 4)
                            {
                                F16Dot.DotFinite4x4(rows, Weights.RowBytes / 2, px + (long)t * In, In, In, four);
                                for (int j = 0; j < 16; j++) y[(t + j / 4) * Out + r + j % 4] = Scaled(four[j]);
                            }
                        }
                    for (; t < tokens; t++)
                    {
                        F16Dot.DotFinite4(rows, Weights.RowBytes / 2, xs.Slice(t * In, In), four[..4]);
                        for (int i = 0; i < 4; i++) y[t * Out + r + i] = Scaled(four[i]);
                    }
                }
            }
        }
        for (; r < row1; r++)
        {
            // Rows are short (5 KB for 2B-4T): ask for the row after next ourselves, the hardware prefetcher ramps up too slowly.
            if (r + PrefetchRows < row1) Prefetch(Weights.RowData(r + PrefetchRows));
            var halves = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(Weights.RowData(r));
            for (int t = 0; t < tokens; t++)
            {
                float v = AllFinite ? F16Dot.DotFinite(halves, x.Row(t)) : F16Dot.Dot(halves, x.Row(t));
                y[t * Out + r] = Scaled(v);
            }
        }
    }
}
