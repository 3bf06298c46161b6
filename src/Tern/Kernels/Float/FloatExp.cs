using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tern.Kernels;

/// <summary>
/// e^x for softmax arguments (x ≤ 0 in practice), with one fixed sequence of float operations on every width:
/// the scalar <see cref="Exp(float)"/> and the Vector256/512 overloads give bit-identical results lane by lane,
/// so attention does not depend on the CPU. Accuracy: within 2 ulp of the exact value on [−86, 88]; NaN gives NaN.
/// <para>Method (Cephes expf): n = round(x·log₂e) by adding and subtracting 1.5·2²³; r = x − n·ln2 in two parts
/// (C1 has few mantissa bits, so n·C1 is exact); e^r by a degree-6 polynomial; 2ⁿ added to the exponent bits.
/// Multiply then add, never fused. Arguments below −86 give 0 (e^−86 ≈ 4·10⁻³⁸ is below what a softmax weight
/// next to e⁰ = 1 can hold anyway), which keeps 2ⁿ·p a normal number.</para>
/// </summary>
public static class FloatExp
{
    private const float Log2E = 1.44269504088896341f;
    private const float Magic = 12582912f; // 1.5 · 2²³: adding it rounds to an integer held in the low mantissa bits
    private const float C1 = 0.693359375f;
    private const float C2 = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    /// <summary>Below this, the result is 0.</summary>
    public const float Lowest = -86f;
    /// <summary>Above this, the result would overflow; it is clamped here (e^88 ≈ 1.65·10³⁸).</summary>
    public const float Highest = 88f;

    /// <summary>The reference: the same operations as the vector overloads, one lane.</summary>
    public static float Exp(float x)
    {
        bool zero = x < Lowest;
        x = x > Highest ? Highest : x;
        x = zero ? Lowest : x;
        float shifted = x * Log2E + Magic;
        float n = shifted - Magic;
        float r = x - n * C1;
        r = r - n * C2;
        float p = P0;
        p = p * r + P1;
        p = p * r + P2;
        p = p * r + P3;
        p = p * r + P4;
        p = p * r + P5;
        float y = p * (r * r) + r + 1f;
        int bits = BitConverter.SingleToInt32Bits(y) + ((BitConverter.SingleToInt32Bits(shifted) - BitConverter.SingleToInt32Bits(Magic)) << 23);
        return float.IsNaN(x) ? x : zero ? 0f : BitConverter.Int32BitsToSingle(bits);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var zero = Vector512.LessThan(x, Vector512.Create(Lowest));
        x = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(Highest)), Vector512.Create(Highest), x);
        x = Vector512.ConditionalSelect(zero, Vector512.Create(Lowest), x);
        var shifted = x * Vector512.Create(Log2E) + Vector512.Create(Magic);
        var n = shifted - Vector512.Create(Magic);
        var r = x - n * Vector512.Create(C1);
        r = r - n * Vector512.Create(C2);
        var p = Vector512.Create(P0);
        p = p * r + Vector512.Create(P1);
        p = p * r + Vector512.Create(P2);
        p = p * r + Vector512.Create(P3);
        p = p * r + Vector512.Create(P4);
        p = p * r + Vector512.Create(P5);
        var y = p * (r * r) + r + Vector512<float>.One;
        var bits = y.AsInt32() + Vector512.ShiftLeft(shifted.AsInt32() - Vector512.Create(Magic).AsInt32(), 23);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), Vector512.AndNot(bits.AsSingle(), zero), x); // NaN stays NaN
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var zero = Vector256.LessThan(x, Vector256.Create(Lowest));
        x = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(Highest)), Vector256.Create(Highest), x);
        x = Vector256.ConditionalSelect(zero, Vector256.Create(Lowest), x);
        var shifted = x * Vector256.Create(Log2E) + Vector256.Create(Magic);
        var n = shifted - Vector256.Create(Magic);
        var r = x - n * Vector256.Create(C1);
        r = r - n * Vector256.Create(C2);
        var p = Vector256.Create(P0);
        p = p * r + Vector256.Create(P1);
        p = p * r + Vector256.Create(P2);
        p = p * r + Vector256.Create(P3);
        p = p * r + Vector256.Create(P4);
        p = p * r + Vector256.Create(P5);
        var y = p * (r * r) + r + Vector256<float>.One;
        var bits = y.AsInt32() + Vector256.ShiftLeft(shifted.AsInt32() - Vector256.Create(Magic).AsInt32(), 23);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), Vector256.AndNot(bits.AsSingle(), zero), x); // NaN stays NaN
    }
}
