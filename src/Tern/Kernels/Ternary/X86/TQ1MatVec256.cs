using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using V = System.Runtime.Intrinsics.Vector256;

namespace Tern.Kernels.X86;

/// <summary>
/// TQ1_0 mat-vec on 256-bit vectors, decoding the base-3 bytes in registers (shared by the AVX2, AVX-512BW and AVX-VNNI
/// kernels: only the multiply-add differs, <see cref="DotAdd"/>).
/// <para><b>Digits without division</b> (spec/ternary-types.md): digit n of a byte q is ⌊3·y/256⌋ with y = q·3ⁿ mod 256,
/// i.e. [y ≥ 86] + [y ≥ 171]. The kernel keeps y' = y + 128 (mod 256) so that the tests are signed byte comparisons
/// (y' &gt; −43, y' &gt; 42); multiplying by 3 commutes with the offset (3·(y + 128) = 3y + 384 ≡ 3y + 128), so
/// y'ₙ₊₁ = y'ₙ + y'ₙ + y'ₙ. The comparisons give −1 where true, so the code is 0 − (m₁ + m₂).</para>
/// <para><b>Order of a 54-byte block</b> (256 values): qs[0..31] digit n = values 32n + m — one vector per digit;
/// qs[32..47] digit n = values 160 + 16n + m — digits n and n + 1 side by side cover 32 consecutive values; qh[0..3]
/// digit n = values 240 + 4n + j — 16 values, paired with digit 4 of qs[32..47] (values 224..239).</para>
/// </summary>
internal static unsafe class TQ1MatVec256
{
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Rows(byte* w, int rows, int k, sbyte* q, int sumq, int* dots)
    {
        int blocks = k / 256;
        long rb = blocks * 54L;
        var off = V.Create((byte)0x80);
        int pf = KernelTuning.MatVecPrefetchBytes;
        for (int r = 0; r < rows; r++)
        {
            byte* p = w + r * rb;
            // Four accumulators: one chain of eight vpdpbusd per block would wait on its 5-cycle latency.
            Vector256<int> acc = default, acc1 = default, acc2 = default, acc3 = default;
            for (int b = 0; b < blocks; b++)
            {
                byte* blk = p + b * 54;
                Sse.Prefetch0(blk + pf);
                sbyte* x = q + b * 256;
                var y = (V.Load(blk) ^ off).AsSByte();
                acc = DotAdd(acc, Code(y), V.Load(x));
                y = y + y + y; acc1 = DotAdd(acc1, Code(y), V.Load(x + 32));
                y = y + y + y; acc2 = DotAdd(acc2, Code(y), V.Load(x + 64));
                y = y + y + y; acc3 = DotAdd(acc3, Code(y), V.Load(x + 96));
                y = y + y + y; acc = DotAdd(acc, Code(y), V.Load(x + 128));

                var s = (Vector128.Load(blk + 32) ^ off.GetLower()).AsSByte();
                var pair = V.Create(s, s + s + s);                               // digits 0, 1: values 160..191
                acc1 = DotAdd(acc1, Code(pair), V.Load(x + 160));
                pair = pair + pair + pair; pair = pair + pair + pair;             // digits 2, 3: values 192..223
                acc2 = DotAdd(acc2, Code(pair), V.Load(x + 192));
                pair = pair + pair + pair; pair = pair + pair + pair;             // digit 4 (values 224..239) in the lower half

                var h0 = (Vector128.Create(*(uint*)(blk + 48)).AsByte() ^ off.GetLower()).AsSByte();
                var h1 = h0 + h0 + h0;
                var h2 = h1 + h1 + h1;
                var h3 = h2 + h2 + h2;
                // dword n = digit n of qh[0..3]: values 240 + 4n + j.
                var h = Avx2.Blend(Avx2.Blend(h0.AsInt32(), h1.AsInt32(), 0b0010), Avx2.Blend(h2.AsInt32(), h3.AsInt32(), 0b1000), 0b1100).AsSByte();
                acc3 = DotAdd(acc3, Code(V.Create(pair.GetLower(), h)), V.Load(x + 224));
            }
            dots[r] = V.Sum((acc + acc1) + (acc2 + acc3)) - sumq;
        }
    }

    /// <summary>Codes 0..2 from offset bytes y' (see the class remarks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Code(Vector256<sbyte> y) =>
        (Vector256<sbyte>.Zero - (V.GreaterThan(y, V.Create((sbyte)-43)) + V.GreaterThan(y, V.Create((sbyte)42)))).AsByte();

    /// <summary>acc + Σ c·q by groups of four: <c>vpdpbusd</c> where AVX-VNNI exists, otherwise <c>vpmaddubsw</c> (|lane| ≤ 2·2·128) then <c>vpmaddwd</c> by ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> DotAdd(Vector256<int> acc, Vector256<byte> c, Vector256<sbyte> q)
    {
        if (AvxVnni.IsSupported) return AvxVnni.MultiplyWideningAndAdd(acc, c, q);
        return acc + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(c, q), V.Create((short)1));
    }
}
