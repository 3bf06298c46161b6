namespace Tern.Kernels;

/// <summary>
/// The core arithmetic of a small-batch product for <see cref="BatchMatVecDriver"/>: a mat-vec step split in two, so
/// that one row's codes are decoded once (<see cref="Decode"/>: load, shift, and) and multiplied into every token of
/// the batch (<see cref="Add"/>). Implemented by structs; everything inlines into the specialized driver.
/// <typeparamref name="TPlanes"/>: one step's decoded code planes; <typeparamref name="TAcc"/>/<typeparamref name="TSum"/>:
/// a row × token's int16 and int32 accumulators.
/// </summary>
internal unsafe interface IBatchStep<TPlanes, TAcc, TSum>
    where TPlanes : struct where TAcc : struct where TSum : struct
{
    /// <summary>Values per step: 128 or 256.</summary>
    static abstract int Values { get; }

    /// <summary>Steps a <typeparamref name="TAcc"/> takes before it must be widened.</summary>
    static abstract int StepsPerWiden { get; }

    /// <summary>Whether the driver prefetches rows ahead (x86 only; the portable step has no prefetch).</summary>
    static abstract bool Prefetch { get; }

    /// <summary>
    /// The activations of <paramref name="n"/> tokens (stride k) in the order the steps read them, each token at
    /// stride k (permuted into scratch, or <paramref name="q"/> itself).
    /// </summary>
    static abstract sbyte* Arrange(sbyte* q, int k, int n);

    /// <summary>The code planes of one row's step at <paramref name="c"/>.</summary>
    static abstract TPlanes Decode<L>(byte* c) where L : struct, ITwoBitLayout;

    /// <summary>acc += Σ c·q of decoded planes against one token's step activations at <paramref name="x"/>.</summary>
    static abstract void Add(ref TAcc acc, in TPlanes planes, sbyte* x);

    /// <summary>
    /// acc += Σ c·q for two rows' planes against one token's step activations, loaded once for both; the driver then
    /// runs rows in pairs (<see cref="PairRows"/>), halving the activation loads per multiply-add. Only called
    /// when <see cref="PairRows"/> is true.
    /// </summary>
    static virtual void AddPair(ref TAcc a, ref TAcc b, in TPlanes pa, in TPlanes pb, sbyte* x) =>
        throw new NotSupportedException("this step does not pair rows");

    /// <summary>Whether the driver runs rows in pairs through <see cref="AddPair"/> (an ISA with registers for 2 × 8 accumulators and 8 planes).</summary>
    static virtual bool PairRows => false;

    static abstract void Widen(ref TSum sum, TAcc acc);

    static abstract int Reduce(TSum s);

    /// <summary>Σ c·q over a last 128-value I2_S half (only when <see cref="Values"/> = 256).</summary>
    static abstract int Tail(byte* c, sbyte* x);
}

/// <summary>A batch size known to the JIT: the driver's code for unused tokens folds away.</summary>
internal interface ITokenCount
{
    static abstract int Count { get; }
}

internal struct Tokens2 : ITokenCount { public static int Count => 2; }
internal struct Tokens3 : ITokenCount { public static int Count => 3; }
internal struct Tokens4 : ITokenCount { public static int Count => 4; }
internal struct Tokens5 : ITokenCount { public static int Count => 5; }
internal struct Tokens6 : ITokenCount { public static int Count => 6; }
internal struct Tokens7 : ITokenCount { public static int Count => 7; }
internal struct Tokens8 : ITokenCount { public static int Count => 8; }
