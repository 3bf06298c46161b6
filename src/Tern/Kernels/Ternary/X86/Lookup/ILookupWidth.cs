using System.Runtime.Intrinsics;

namespace Tern.Kernels.X86;

/// <summary>
/// The vector-width parts of <see cref="LookupMatMul{W}"/>: a block is <see cref="Tokens"/> tokens in the int16 lanes
/// of one vector, a table entry one such vector (2·<see cref="Tokens"/> bytes). Everything else (panels, offsets
/// layout, the per-block loop, pass pairs, widening schedule, store, code-3 fallback) is the driver's. Implemented by
/// structs, so the driver is specialized per width by the JIT and these calls inline.
/// </summary>
internal unsafe interface ILookupWidth
{
    static abstract bool IsSupported { get; }
    /// <summary>Tokens per block: the int16 lanes of one vector.</summary>
    static abstract int Tokens { get; }
    /// <summary>Below this many rows the per-block table building outweighs the lookups.</summary>
    static abstract int MinRows { get; }
    /// <summary>Rows per panel (see the implementations for the measurements).</summary>
    static abstract int PanelRows { get; }

    /// <summary>xt[c·Tokens + t] = q[t, c] as int16, for the Tokens rows of q (k values each, k a multiple of 16).</summary>
    static abstract void Transpose(sbyte* q, int k, short* xt);

    /// <summary>
    /// The 81 entries of one group from its four columns' transposed activations a₀…a₃ (digit s on column x_s):
    /// entry 27d₃ + 9d₂ + 3d₁ + d₀ at e + that·Tokens holds Σₛ (dₛ − 1)·x_s, lane by lane.
    /// </summary>
    static abstract void BuildGroup(short* x0, short* x1, short* x2, short* x3, short* e);

    /// <summary>
    /// Offsets of one 128-value half for four rows (src, src + rb, …): row r + i's 32 offsets go to
    /// dst + m·pair + 8i for its pairs m = 0…3 (<see cref="LookupMatMul{W}.Offsets{L}"/> has the layout).
    /// </summary>
    static abstract void Offsets4(byte* src, long rb, ushort* dst, long pair, ref Vector256<byte> bad);

    /// <summary>As <see cref="Offsets4"/> for one row.</summary>
    static abstract void Offsets1(byte* src, ushort* dst, long pair, ref Vector256<byte> bad);

    /// <summary>
    /// Row <paramref name="row"/> from acc16 and o: acc16[row·Tokens …] += the four entries o[8·row + 0..3] select in t0
    /// and the four o[8·row + 4..7] select in t1. (The driver passes constant rows rather than moved pointers: a
    /// pointer argument used twice costs an <c>lea</c> per call in the inlined loop.)
    /// </summary>
    static abstract void AddPair(short* acc16, ushort* o, int row, byte* t0, byte* t1);

    /// <summary>As <see cref="AddPair"/> for row 0, then acc32 += acc16 sign-extended, acc16 = 0.</summary>
    static abstract void AddPairWiden(short* acc16, int* acc32, ushort* o, byte* t0, byte* t1);

    /// <summary>acc32[r·Tokens + t] ← the bits of DotRescale.One(acc32[r·Tokens + t], a[t], scale, extra) for r &lt; rows.</summary>
    static abstract void Rescale(int* acc32, int rows, float* a, float scale, float extra);
}
