using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace Tern.Kernels.Arm64;

/// <summary>
/// TQ1_0 mat-vec on 128-bit AdvSimd vectors, decoding the base-3 bytes in registers; only the dot-add differs
/// between the ARM64 kernels (<typeparamref name="D"/>).
/// <para><b>Digits without division</b> (spec/ternary-types.md): digit n of a byte q is [y ≥ 86] + [y ≥ 171] with
/// y = q·3ⁿ mod 256. AdvSimd compares unsigned bytes directly (<c>cmhs</c>), each giving −1 where true, so the sum of
/// the two masks is −c: the kernel accumulates Σ (−c)·q and negates once per row. The next digit's y is one byte
/// multiply by 3 (<c>mul</c>, wrapping mod 256).</para>
/// <para><b>Order of a 54-byte block</b> (256 values): qs[0..31] digit n = values 32n + m (two vectors per digit);
/// qs[32..47] digit n = values 160 + 16n + m (one vector); qh[0..3] digit n = values 240 + 4n + j: the four bytes
/// repeated in each 32-bit lane and multiplied by 3ⁿ in lane group n give all 16 at once.</para>
/// </summary>
internal static unsafe class TQ1MatVec128<D> where D : struct, IDotAdd128
{
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Rows(byte* w, int rows, int k, sbyte* q, int sumq, int* dots)
    {
        int blocks = k / 256;
        long rb = blocks * 54L;
        var powers = Vector128.Create((byte)1, 1, 1, 1, 3, 3, 3, 3, 9, 9, 9, 9, 27, 27, 27, 27);
        for (int r = 0; r < rows; r++)
        {
            byte* p = w + r * rb;
            // Four accumulators (digit n's 48 values into one, in turn): one chain of sixteen dot-adds would wait on their latency.
            Vector128<int> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
            for (int b = 0; b < blocks; b++)
            {
                byte* blk = p + b * 54;
                sbyte* x = q + b * 256;
                var y0 = Vector128.Load(blk);
                var y1 = Vector128.Load(blk + 16);
                var y2 = Vector128.Load(blk + 32);
                var h = AdvSimd.Multiply(Vector128.Create(Unsafe.ReadUnaligned<uint>(blk + 48)).AsByte(), powers);
                acc3 = D.DotAdd(acc3, MinusCode(h), Vector128.Load(x + 240));
                acc0 = D.DotAdd(acc0, MinusCode(y0), Vector128.Load(x));
                acc1 = D.DotAdd(acc1, MinusCode(y1), Vector128.Load(x + 16));
                acc2 = D.DotAdd(acc2, MinusCode(y2), Vector128.Load(x + 160));
                Digit(ref acc3, ref y0, ref y1, ref y2, x, 1);
                Digit(ref acc0, ref y0, ref y1, ref y2, x, 2);
                Digit(ref acc1, ref y0, ref y1, ref y2, x, 3);
                Digit(ref acc2, ref y0, ref y1, ref y2, x, 4);
            }
            dots[r] = -Vector128.Sum((acc0 + acc1) + (acc2 + acc3)) - sumq;
        }
    }

    /// <summary>Digit n ≥ 1 of the three qs vectors (y·3 first), their 48 values into one accumulator.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Digit(ref Vector128<int> acc, ref Vector128<byte> y0, ref Vector128<byte> y1, ref Vector128<byte> y2, sbyte* x, int n)
    {
        var three = Vector128.Create((byte)3);
        y0 = AdvSimd.Multiply(y0, three);
        y1 = AdvSimd.Multiply(y1, three);
        y2 = AdvSimd.Multiply(y2, three);
        var a = D.DotAdd(acc, MinusCode(y0), Vector128.Load(x + 32 * n));
        a = D.DotAdd(a, MinusCode(y1), Vector128.Load(x + 32 * n + 16));
        acc = D.DotAdd(a, MinusCode(y2), Vector128.Load(x + 160 + 16 * n));
    }

    /// <summary>−(digit) of each byte y: 0, −1 or −2 (see the class remarks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<sbyte> MinusCode(Vector128<byte> y) =>
        (AdvSimd.CompareGreaterThanOrEqual(y, Vector128.Create((byte)86)) + AdvSimd.CompareGreaterThanOrEqual(y, Vector128.Create((byte)171))).AsSByte();
}
