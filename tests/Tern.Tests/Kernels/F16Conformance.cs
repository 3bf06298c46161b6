using Tern.Kernels;
using Tern.Tensors;

namespace Tern.Tests.Kernels;

/// <summary>
/// The output layer's F16 dots (<see cref="F16Dot.Dot"/>, <see cref="F16Dot.DotFinite"/>) against widening the row
/// exactly and the scalar canonical dot, bit for bit: every length up to 70 (every tail of 16 lanes) and model sizes,
/// random finite rows with subnormals and zeros. Run by <see cref="KernelCheckProgram"/>, so the 128-bit path ARM64
/// takes is checked under emulation too (on this x86 machine the AVX-512 one runs in-process, see F16DotTests).
/// </summary>
public static class F16Conformance
{
    /// <summary>Null when all match, otherwise the first difference.</summary>
    public static string? FirstFailure()
    {
        var rng = new Random(3);
        foreach (int n in Enumerable.Range(1, 70).Concat([255, 256, 257, 2560, 6912]))
            for (int trial = 0; trial < 3; trial++)
            {
                var row = new ushort[n];
                for (int i = 0; i < n; i++)
                {
                    ushort h;
                    do h = (ushort)rng.Next(65536); while ((h & 0x7C00) == 0x7C00); // no Inf/NaN
                    row[i] = trial == 1 ? (ushort)(h & 0x83FF) : h;                    // trial 1: subnormals and zeros only
                }
                var x = new float[n];
                for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * (trial == 2 ? 1e3f : 1e-3f);
                var widened = new float[n];
                HalfConversion.F16ToF32(row, widened);
                int expected = BitConverter.SingleToInt32Bits(FloatDot.DotScalar(widened, x));
                int dot = BitConverter.SingleToInt32Bits(F16Dot.Dot(row, x)), finite = BitConverter.SingleToInt32Bits(F16Dot.DotFinite(row, x));
                if (dot != expected || finite != expected)
                    return $"n={n} trial {trial}: Dot {dot:X8}, DotFinite {finite:X8}, reference {expected:X8}";
            }
        return null;
    }
}
