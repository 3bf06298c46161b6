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
            for (int i = 0; i < row.Length; i += 64) System.Runtime.Intrinsics.X86.Sse.Prefetch0(p + i);
    }

    public override void ComputeRows(LinearInput x, Span<float> y, int row0, int row1)
    {
        if (x.Count == 1 && Weights.Type == Gguf.GgmlType.F16)
        {
            // One token (generation): convert in registers instead of widening each row to memory first.
            var xt = x.Row(0);
            int r = row0;
            var xs = t_row is { } sb && sb.Length >= In ? sb.AsSpan(0, In) : (t_row = new float[Math.Max(In, 4096)]).AsSpan(0, In);
            if (row1 - row0 >= 4 && AllFinite && F16Dot.FourRowsSupported(In) && F16Dot.ScaleForFourRows(xt, xs))
            {
                // Four rows at a time (contiguous in the file); DotFinite4 prefetches inside its loop (a burst of
                // whole-row prefetches per step measured slower).
                Span<float> four = stackalloc float[4];
                for (; r + 4 <= row1; r += 4)
                {
                    unsafe { F16Dot.DotFinite4((ushort*)(Weights.Data + r * Weights.RowBytes), Weights.RowBytes / 2, xs, four); }
                    for (int i = 0; i < 4; i++) y[r + i] = ExtraScale == 1f ? four[i] : four[i] * ExtraScale;
                }
            }
            for (; r < row1; r++)
            {
                // Rows are short (5 KB for 2B-4T): ask for the row after next ourselves, the hardware prefetcher ramps up too slowly.
                if (r + PrefetchRows < row1) Prefetch(Weights.RowData(r + PrefetchRows));
                var halves = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(Weights.RowData(r));
                float v = AllFinite ? F16Dot.DotFinite(halves, xt) : F16Dot.Dot(halves, xt);
                y[r] = ExtraScale == 1f ? v : v * ExtraScale;
            }
            return;
        }
        var row = t_row is { } b && b.Length >= In ? b.AsSpan(0, In) : (t_row = new float[Math.Max(In, 4096)]).AsSpan(0, In);
        for (int r = row0; r < row1; r++)
        {
            Weights.DecodeRow(r, row);
            for (int t = 0; t < x.Count; t++)
            {
                float v = FloatDot.Dot(row, x.Row(t));
                y[t * Out + r] = ExtraScale == 1f ? v : v * ExtraScale;
            }
        }
    }
}
