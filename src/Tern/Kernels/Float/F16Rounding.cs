namespace Tern.Kernels;

/// <summary>Rounds floats to the nearest F16 value in place (what an F16 KV cache or llama.cpp's F16 attention sees).</summary>
internal static class F16Rounding
{
    internal static void Round(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = (float)(Half)x[i];
    }
}
