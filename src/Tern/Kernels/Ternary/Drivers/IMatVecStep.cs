using System.Runtime.Intrinsics;

namespace Tern.Kernels;

/// <summary>
/// The core arithmetic of a one-token product for <see cref="MatVecDriver"/>: what one ISA does with one step of a
/// 2-bit row (<see cref="Values"/> consecutive values). Implemented by structs, so the driver is specialized per ISA
/// and layout and every call below inlines.
/// <list type="bullet">
/// <item><typeparamref name="TX"/>: the activations of one step, loaded once and shared by the four rows of a tile
/// (a struct of vectors, or just the pointer when the step loads them itself).</item>
/// <item><typeparamref name="TAcc"/>: a row's narrow (int16) accumulator, <see cref="Widen"/>ed every
/// <see cref="StepsPerWiden"/> steps.</item>
/// <item><typeparamref name="TSum"/>: a row's int32 accumulator.</item>
/// </list>
/// </summary>
internal unsafe interface IMatVecStep<TX, TAcc, TSum>
    where TX : struct where TAcc : struct where TSum : struct
{
    /// <summary>Values per step: 128 (a 32-byte half block) or 256 (a whole 64-byte chunk).</summary>
    static abstract int Values { get; }

    /// <summary>Steps a <typeparamref name="TAcc"/> takes before it must be widened (exactness bound).</summary>
    static abstract int StepsPerWiden { get; }

    /// <summary>Whether the driver prefetches rows ahead (x86 only; the portable step has no prefetch).</summary>
    static abstract bool Prefetch { get; }

    /// <summary>The activations in the order the steps read them (permuted into scratch, or <paramref name="q"/> itself).</summary>
    static abstract sbyte* Arrange(sbyte* q, int k);

    /// <summary>The activations of the step starting at <paramref name="x"/> (arranged, step-aligned).</summary>
    static abstract TX Load(sbyte* x);

    /// <summary>acc += Σ c·q over one step: codes at <paramref name="c"/> (one row's step as stored), activations <paramref name="x"/>.</summary>
    static abstract void Add<L>(ref TAcc acc, byte* c, in TX x) where L : struct, ITwoBitLayout;

    /// <summary>sum += acc widened to int32 (same total).</summary>
    static abstract void Widen(ref TSum sum, TAcc acc);

    /// <summary>[Σ s0, Σ s1, Σ s2, Σ s3].</summary>
    static abstract Vector128<int> Reduce4(TSum s0, TSum s1, TSum s2, TSum s3);

    /// <summary>Σ lanes of s.</summary>
    static abstract int Reduce(TSum s);

    /// <summary>
    /// Σ c·q over a last 128-value half (I2_S rows of K mod 256 = 128, only when <see cref="Values"/> = 256): codes at
    /// <paramref name="c"/>, activations at <paramref name="x"/> in the arranged order.
    /// </summary>
    static abstract int Tail(byte* c, sbyte* x);
}
