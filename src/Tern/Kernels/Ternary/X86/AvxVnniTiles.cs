using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ISA = System.Runtime.Intrinsics.X86.AvxVnni;
using V = System.Runtime.Intrinsics.Vector256;

namespace Tern.Kernels.X86;

/// <summary>
/// The AVX-VNNI tiles over unpacked codes (<see cref="PanelMatMul"/>): int32 accumulators, enough independent
/// <c>vpdpbusd</c> chains to hide its 5-cycle latency (4 × 2 tiles could not).
/// </summary>
internal static unsafe class AvxVnniTiles
{
    /// <summary>
    /// Activations per token block, bytes: the block (n_b · k) stays in L2 (2 MB per core here) while every panel of the
    /// row range runs over it, and each panel's codes are unpacked once per block. Without blocking, n = 512 × k = 6912
    /// (3.5 MB) streamed from L3 once per panel; 512 KB blocks unpacked every panel 2–3 times per prompt. Measured with
    /// `Tern.Benchmarks -- throughput --tokens 512`, alternating: 1.5 MB 149–151 GMAC/s at 1 thread and 278–285 at 2,
    /// 512 KB 108–142 and 214–263 (1 MB in between).
    /// </summary>
    public const int TokenBlockBytes = 1536 * 1024;

    /// <summary>4 rows × 4 tokens, where AVX-512 gives the JIT 32 registers (16 accumulators; measured fastest on Emerald Rapids, 4 × 6 was slower).</summary>
    internal struct Wide : ICodeTile
    {
        public static int Rows => 4;
        public static int Tokens => 4;
        public static int TokenBlockBytes => AvxVnniTiles.TokenBlockBytes;
        public static void Full(byte* w, sbyte* x, int k, int* f) => Tile4x4(w, x, k, f);
        public static void One(byte* w, sbyte* x, int k, int* f) => Tile4x1(w, x, k, f);
    }

    /// <summary>2 rows × 6 tokens for VEX-only machines (16 registers: 12 accumulators, 2 code and 1 activation register).</summary>
    internal struct Narrow : ICodeTile
    {
        public static int Rows => 2;
        public static int Tokens => 6;
        public static int TokenBlockBytes => AvxVnniTiles.TokenBlockBytes;
        public static void Full(byte* w, sbyte* x, int k, int* f) => Tile2x6(w, x, k, f);
        public static void One(byte* w, sbyte* x, int k, int* f) => Tile2x1(w, x, k, f);
    }

    /// <summary>Σ c·q for 2 rows of codes (stride k) × 6 tokens (stride k): <c>f[2·token + row]</c>; int32 accumulators, 12 independent chains.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Tile2x6(byte* w, sbyte* x, int k, int* f)
    {
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        byte* w1 = w + 1 * k;
        sbyte* x1 = x + 1 * k;
        sbyte* x2 = x + 2 * k;
        sbyte* x3 = x + 3 * k;
        sbyte* x4 = x + 4 * k;
        sbyte* x5 = x + 5 * k;
        for (int i = 0; i < k; i += 32)
        {
            var b0 = V.Load(w + i);
            var b1 = V.Load(w1 + i);
            var a = V.Load(x + i);
            c00 = ISA.MultiplyWideningAndAdd(c00, b0, a); c01 = ISA.MultiplyWideningAndAdd(c01, b1, a);
            a = V.Load(x1 + i);
            c10 = ISA.MultiplyWideningAndAdd(c10, b0, a); c11 = ISA.MultiplyWideningAndAdd(c11, b1, a);
            a = V.Load(x2 + i);
            c20 = ISA.MultiplyWideningAndAdd(c20, b0, a); c21 = ISA.MultiplyWideningAndAdd(c21, b1, a);
            a = V.Load(x3 + i);
            c30 = ISA.MultiplyWideningAndAdd(c30, b0, a); c31 = ISA.MultiplyWideningAndAdd(c31, b1, a);
            a = V.Load(x4 + i);
            c40 = ISA.MultiplyWideningAndAdd(c40, b0, a); c41 = ISA.MultiplyWideningAndAdd(c41, b1, a);
            a = V.Load(x5 + i);
            c50 = ISA.MultiplyWideningAndAdd(c50, b0, a); c51 = ISA.MultiplyWideningAndAdd(c51, b1, a);
        }
        Reduce256.Two(c00, c01, f + 0);
        Reduce256.Two(c10, c11, f + 2);
        Reduce256.Two(c20, c21, f + 4);
        Reduce256.Two(c30, c31, f + 6);
        Reduce256.Two(c40, c41, f + 8);
        Reduce256.Two(c50, c51, f + 10);
    }

    /// <summary>Σ c·q for 2 rows of codes (stride k) × 1 tokens (stride k): <c>f[2·token + row]</c>; int32 accumulators, 2 independent chains.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Tile2x1(byte* w, sbyte* x, int k, int* f)
    {
        Vector256<int> c00 = default, c01 = default;
        byte* w1 = w + 1 * k;
        for (int i = 0; i < k; i += 32)
        {
            var b0 = V.Load(w + i);
            var b1 = V.Load(w1 + i);
            var a = V.Load(x + i);
            c00 = ISA.MultiplyWideningAndAdd(c00, b0, a); c01 = ISA.MultiplyWideningAndAdd(c01, b1, a);
        }
        Reduce256.Two(c00, c01, f + 0);
    }

    /// <summary>Σ c·q for 4 rows of codes (stride k) × 4 tokens (stride k): <c>f[4·token + row]</c>; int32 accumulators, 16 independent chains.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Tile4x4(byte* w, sbyte* x, int k, int* f)
    {
        Vector256<int> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default, c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        byte* w1 = w + 1 * k;
        byte* w2 = w + 2 * k;
        byte* w3 = w + 3 * k;
        sbyte* x1 = x + 1 * k;
        sbyte* x2 = x + 2 * k;
        sbyte* x3 = x + 3 * k;
        for (int i = 0; i < k; i += 32)
        {
            var b0 = V.Load(w + i);
            var b1 = V.Load(w1 + i);
            var b2 = V.Load(w2 + i);
            var b3 = V.Load(w3 + i);
            var a = V.Load(x + i);
            c00 = ISA.MultiplyWideningAndAdd(c00, b0, a); c01 = ISA.MultiplyWideningAndAdd(c01, b1, a); c02 = ISA.MultiplyWideningAndAdd(c02, b2, a); c03 = ISA.MultiplyWideningAndAdd(c03, b3, a);
            a = V.Load(x1 + i);
            c10 = ISA.MultiplyWideningAndAdd(c10, b0, a); c11 = ISA.MultiplyWideningAndAdd(c11, b1, a); c12 = ISA.MultiplyWideningAndAdd(c12, b2, a); c13 = ISA.MultiplyWideningAndAdd(c13, b3, a);
            a = V.Load(x2 + i);
            c20 = ISA.MultiplyWideningAndAdd(c20, b0, a); c21 = ISA.MultiplyWideningAndAdd(c21, b1, a); c22 = ISA.MultiplyWideningAndAdd(c22, b2, a); c23 = ISA.MultiplyWideningAndAdd(c23, b3, a);
            a = V.Load(x3 + i);
            c30 = ISA.MultiplyWideningAndAdd(c30, b0, a); c31 = ISA.MultiplyWideningAndAdd(c31, b1, a); c32 = ISA.MultiplyWideningAndAdd(c32, b2, a); c33 = ISA.MultiplyWideningAndAdd(c33, b3, a);
        }
        Reduce256.Four(c00, c01, c02, c03).Store(f + 0);
        Reduce256.Four(c10, c11, c12, c13).Store(f + 4);
        Reduce256.Four(c20, c21, c22, c23).Store(f + 8);
        Reduce256.Four(c30, c31, c32, c33).Store(f + 12);
    }

    /// <summary>Σ c·q for 4 rows of codes (stride k) × 1 tokens (stride k): <c>f[4·token + row]</c>; int32 accumulators, 4 independent chains.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Tile4x1(byte* w, sbyte* x, int k, int* f)
    {
        Vector256<int> c00 = default, c01 = default, c02 = default, c03 = default;
        byte* w1 = w + 1 * k;
        byte* w2 = w + 2 * k;
        byte* w3 = w + 3 * k;
        for (int i = 0; i < k; i += 32)
        {
            var b0 = V.Load(w + i);
            var b1 = V.Load(w1 + i);
            var b2 = V.Load(w2 + i);
            var b3 = V.Load(w3 + i);
            var a = V.Load(x + i);
            c00 = ISA.MultiplyWideningAndAdd(c00, b0, a); c01 = ISA.MultiplyWideningAndAdd(c01, b1, a); c02 = ISA.MultiplyWideningAndAdd(c02, b2, a); c03 = ISA.MultiplyWideningAndAdd(c03, b3, a);
        }
        Reduce256.Four(c00, c01, c02, c03).Store(f + 0);
    }
}
