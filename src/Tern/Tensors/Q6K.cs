using System.Buffers.Binary;

namespace Tern.Tensors;

/// <summary>
/// ggml's Q6_K (type 14): super-blocks of 256 values in 210 bytes, 16 sub-blocks of 16 values with an 8-bit scale each.
/// llama-quantize uses it for the output and embedding tensors of many models.
/// </summary>
/// <remarks>
/// <code>
/// bytes [0, 128)     ql: low 4 bits of the 6-bit codes
/// bytes [128, 192)   qh: high 2 bits of the codes
/// bytes [192, 208)   scales: 16 signed bytes, one per 16 values
/// bytes [208, 210)   d: F16 super-block scale;  w = d · scale[v/16] · (code − 32)
/// </code>
/// Each 128-value half h ∈ {0, 1} uses ql[64h .. 64h+63] and qh[32h .. 32h+31]. For l ∈ 0..31, with L = ql[64h + l],
/// H = ql[64h + 32 + l], Q = qh[32h + l], the codes of values 128h + l, +32, +64, +96 are
/// (L &amp; 15) | (Q &amp; 3) &lt;&lt; 4,  (H &amp; 15) | (Q &gt;&gt; 2 &amp; 3) &lt;&lt; 4,  (L &gt;&gt; 4) | (Q &gt;&gt; 4 &amp; 3) &lt;&lt; 4,  (H &gt;&gt; 4) | (Q &gt;&gt; 6) &lt;&lt; 4.
/// </remarks>
public static class Q6K
{
    public const int BlockValues = 256;
    public const int BlockBytes = 210;
    private const int QlOffset = 0, QhOffset = 128, ScalesOffset = 192, DOffset = 208;
    private const float GroupMaxEps = 1e-15f; // ggml's GROUP_MAX_EPS: a group below this is all zero

    /// <summary>Dequantizes one 210-byte super-block into 256 floats (same arithmetic order as ggml: (d · scale) · q).</summary>
    public static void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> dst256)
    {
        if (block.Length != BlockBytes) throw new ArgumentException($"a Q6_K block is {BlockBytes} bytes, got {block.Length}", nameof(block));
        if (dst256.Length != BlockValues) throw new ArgumentException($"a Q6_K block holds {BlockValues} values, got a span of {dst256.Length}", nameof(dst256));
        float d = HalfConversion.F16ToF32(BinaryPrimitives.ReadUInt16LittleEndian(block[DOffset..]));
        for (int h = 0; h < 2; h++)
        {
            var ql = block.Slice(QlOffset + 64 * h, 64);
            var qh = block.Slice(QhOffset + 32 * h, 32);
            var sc = block.Slice(ScalesOffset + 8 * h, 8);
            var y = dst256.Slice(128 * h, 128);
            for (int l = 0; l < 32; l++)
            {
                int s = l / 16;
                int q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32;
                int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) << 4)) - 32;
                y[l] = d * (sbyte)sc[s] * q1;
                y[l + 32] = d * (sbyte)sc[s + 2] * q2;
                y[l + 64] = d * (sbyte)sc[s + 4] * q3;
                y[l + 96] = d * (sbyte)sc[s + 6] * q4;
            }
        }
    }

    /// <summary>Dequantizes a row of whole super-blocks; <c>dst.Length</c> is the row length.</summary>
    public static void DequantizeRow(ReadOnlySpan<byte> rowBytes, Span<float> dst)
    {
        int blocks = BlockRows.CheckRow(dst.Length, rowBytes.Length, BlockValues, BlockBytes);
        for (int i = 0; i < blocks; i++)
            DequantizeBlock(rowBytes.Slice(i * BlockBytes, BlockBytes), dst.Slice(i * BlockValues, BlockValues));
    }

    /// <summary>
    /// Quantizes a row with ggml's reference algorithm (<c>quantize_row_q6_K_ref</c>, what llama-quantize runs without an
    /// importance matrix): each 16-value sub-block gets a scale from <see cref="MakeQxQuants"/> (a weighted least-squares
    /// fit over 19 candidate grids), the 16 scales are quantized to signed bytes against the largest one, and the values
    /// are re-quantized against the final (d · scale). Float operations follow ggml's order.
    /// </summary>
    public static void QuantizeRow(ReadOnlySpan<float> x, Span<byte> dst)
    {
        int blocks = BlockRows.CheckRow(x.Length, dst.Length, BlockValues, BlockBytes);
        Span<sbyte> L = stackalloc sbyte[BlockValues];
        Span<float> scales = stackalloc float[BlockValues / 16];
        for (int i = 0; i < blocks; i++)
            QuantizeBlock(x.Slice(i * BlockValues, BlockValues), dst.Slice(i * BlockBytes, BlockBytes), L, scales);
    }

    private static void QuantizeBlock(ReadOnlySpan<float> x, Span<byte> y, Span<sbyte> L, Span<float> scales)
    {
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++)
        {
            float scale = MakeQxQuants(x.Slice(16 * ib, 16), 32, L.Slice(16 * ib, 16));
            scales[ib] = scale;
            if (MathF.Abs(scale) > maxAbsScale)
            {
                maxAbsScale = MathF.Abs(scale);
                maxScale = scale;
            }
        }

        y.Clear();
        if (maxAbsScale < GroupMaxEps) return; // all zero: codes 0, scales 0, d = 0

        float iscale = -128f / maxScale;
        ushort dBits = HalfConversion.F32ToF16(1 / iscale);
        BinaryPrimitives.WriteUInt16LittleEndian(y[DOffset..], dBits);
        float dStored = HalfConversion.F16ToF32(dBits);
        for (int ib = 0; ib < 16; ib++)
            y[ScalesOffset + ib] = (byte)(sbyte)Math.Min(127, NearestInt(iscale * scales[ib]));

        for (int j = 0; j < 16; j++)
        {
            float d = dStored * (sbyte)y[ScalesOffset + j];
            if (d == 0) continue; // keep the codes from MakeQxQuants (they decode to 0 anyway)
            for (int ii = 0; ii < 16; ii++)
            {
                int l = Math.Clamp(NearestInt(x[16 * j + ii] / d), -32, 31);
                L[16 * j + ii] = (sbyte)(l + 32);
            }
        }

        for (int h = 0; h < 2; h++)
        {
            var ql = y.Slice(QlOffset + 64 * h, 64);
            var qh = y.Slice(QhOffset + 32 * h, 32);
            var lh = L.Slice(128 * h, 128);
            for (int l = 0; l < 32; l++)
            {
                int q1 = lh[l], q2 = lh[l + 32], q3 = lh[l + 64], q4 = lh[l + 96];
                ql[l] = (byte)((q1 & 0xF) | ((q3 & 0xF) << 4));
                ql[l + 32] = (byte)((q2 & 0xF) | ((q4 & 0xF) << 4));
                qh[l] = (byte)((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
        }
    }

    /// <summary>
    /// ggml's <c>make_qx_quants</c> with rmse_type 1 and no importance weights: codes L ∈ [0, 2·nmax) for
    /// l = L − nmax, and the scale minimizing Σ x²·(x − scale·l)² over the grids iscale = −(nmax + 0.1·k)/max,
    /// k ∈ −9..9 (max = the value of largest magnitude, sign included). Returns the scale (0 for an all-zero group).
    /// </summary>
    internal static float MakeQxQuants(ReadOnlySpan<float> x, int nmax, Span<sbyte> L)
    {
        float max = 0, amax = 0;
        foreach (float v in x)
        {
            float ax = MathF.Abs(v);
            if (ax > amax) { amax = ax; max = v; }
        }
        if (amax < GroupMaxEps)
        {
            L.Clear();
            return 0f;
        }

        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < x.Length; i++)
        {
            int l = Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
            L[i] = (sbyte)(l + nmax);
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int k = -9; k <= 9; k++)
        {
            if (k == 0) continue;
            iscale = -(nmax + 0.1f * k) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < x.Length; i++)
            {
                int l = Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
                float w = x[i] * x[i];
                sumlx += w * x[i] * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2)
            {
                for (int i = 0; i < x.Length; i++)
                    L[i] = (sbyte)(nmax + Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1));
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /// <summary>ggml's nearest_int: round half to even (its float trick is exact for |x| &lt; 2^22; Tern saturates beyond).</summary>
    private static int NearestInt(float x) => (int)MathF.Round(x, MidpointRounding.ToEven);
}
