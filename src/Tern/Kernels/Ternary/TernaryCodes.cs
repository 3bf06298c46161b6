using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tern.Gguf;

namespace Tern.Kernels;

/// <summary>
/// Unpacks ternary rows to one code byte per weight, in natural order: <c>codes[k] = c</c> with T[r, k] = c − 1.
/// The mat-mat kernels unpack a panel of rows once and reuse it for every token, so the inner loop only loads codes
/// (the cost of unpacking is spread over all tokens). Codes are 0, 1, 2 — or 3 where a 2-bit file holds the unused
/// code, which the reference decodes as +2; the kernels' overflow bounds allow for it, so any file gives the
/// reference's sums.
/// </summary>
internal static unsafe class TernaryCodes
{
    /// <summary>Unpacks row <paramref name="r"/> of <paramref name="w"/> into <c>codes[0, K)</c>.</summary>
    public static void UnpackRow(TernaryMatrix w, int r, byte* codes)
    {
        byte* row = w.Data + r * TernaryRows.RowBytes(w);
        switch (w.Type)
        {
            case GgmlType.I2_S: UnpackTwoBit<I2SLayout>(row, w.Cols, codes); break;
            case GgmlType.TQ2_0: UnpackTwoBit<TQ2Layout>(row, w.Cols, codes); break;
            case GgmlType.TQ1_0: UnpackTQ1(row, w.Cols, codes); break;
            default: throw new NotSupportedException(w.Type.ToString());
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UnpackTwoBit<L>(byte* row, int k, byte* codes) where L : struct, ITwoBitLayout
    {
        var mask = Vector128.Create((byte)3);
        for (int h = 0; h < k / 128; h++) // 128-value halves, 32 bytes each
        {
            byte* src = row + (h >> 1) * L.ChunkBytes + (h & 1) * 32;
            byte* dst = codes + h * 128;
            var lo = Vector128.Load(src);
            var hi = Vector128.Load(src + 16);
            for (int s = 0; s < 4; s++)
            {
                byte shift = L.Shift(s);
                (Vector128.ShiftRightLogical(lo, shift) & mask).Store(dst + 32 * s);
                (Vector128.ShiftRightLogical(hi, shift) & mask).Store(dst + 32 * s + 16);
            }
        }
    }

    /// <summary>
    /// TQ1_0: digit n of a packed byte q is ((q·3ⁿ mod 256)·3) >> 8 (spec/ternary-types.md), and for y &lt; 256
    /// (3y) >> 8 = [y ≥ 86] + [y ≥ 171]; multiplying by 3 modulo 256 is two wrapping byte additions.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UnpackTQ1(byte* row, int k, byte* codes)
    {
        var t86 = Vector128.Create((byte)86);
        var t171 = Vector128.Create((byte)171);
        for (int b = 0; b < k / 256; b++)
        {
            byte* blk = row + b * 54;
            byte* dst = codes + b * 256;
            // qs[0..31]: value 32n + m is digit n of qs[m]; qs[32..47]: value 160 + 16n + m is digit n of qs[32 + m].
            var y0 = Vector128.Load(blk);
            var y1 = Vector128.Load(blk + 16);
            var y2 = Vector128.Load(blk + 32);
            for (int n = 0; n < 5; n++)
            {
                Digit(y0, t86, t171).Store(dst + 32 * n);
                Digit(y1, t86, t171).Store(dst + 32 * n + 16);
                Digit(y2, t86, t171).Store(dst + 160 + 16 * n);
                y0 = y0 + y0 + y0; y1 = y1 + y1 + y1; y2 = y2 + y2 + y2;
            }
            // qh[0..3]: value 240 + 4n + j is digit n of qh[j].
            for (int j = 0; j < 4; j++)
            {
                byte y = blk[48 + j];
                for (int n = 0; n < 4; n++)
                {
                    dst[240 + 4 * n + j] = (byte)((y * 3) >> 8);
                    y = (byte)(y * 3);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Digit(Vector128<byte> y, Vector128<byte> t86, Vector128<byte> t171) =>
        // The comparisons give 0xFF (−1) where true; 0 − (m1 + m2) is the count of thresholds reached.
        Vector128<byte>.Zero - (Vector128.GreaterThanOrEqual(y, t86) + Vector128.GreaterThanOrEqual(y, t171));

    /// <summary>Σ q[0, k) — the correction term of the unsigned-code trick: Σ T·q = Σ c·q − Σ q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Sum(sbyte* q, int k)
    {
        var acc = Vector128<int>.Zero;
        int i = 0;
        for (; i + 16 <= k; i += 16)
        {
            var v = Vector128.Load(q + i);
            var s = Vector128.WidenLower(v) + Vector128.WidenUpper(v); // |lane| ≤ 256
            acc += Vector128.WidenLower(s) + Vector128.WidenUpper(s);
        }
        int sum = Vector128.Sum(acc);
        for (; i < k; i++) sum += q[i];
        return sum;
    }
}
