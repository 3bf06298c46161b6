using System.Runtime.CompilerServices;

namespace Tern.Kernels;

/// <summary>
/// The multiply-add mat-mat of every kernel, written once over an ISA's <see cref="ICodeTile"/>: rows are unpacked a
/// panel at a time into one code byte per weight (<see cref="TernaryCodes"/>; at most
/// <see cref="KernelTuning.PanelBytes"/>, padded with code-0 rows to whole tiles: computed, never stored), then the
/// tiles run over the panel for every block of tokens — whole tiles of tokens, then the remaining tokens one at a
/// time — and each dot gets the Σ q correction on its way out.
/// </summary>
internal static unsafe class PanelMatMul
{
    // AggressiveOptimization: a prompt runs each projection only a few dozen times, so tiered compilation would leave
    // this driver at tier 0 for much of the first prompt.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Run<T>(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride) where T : struct, ICodeTile
    {
        int k = w.Cols, tileRows = T.Rows, tileTokens = T.Tokens;
        int panelRows = Math.Clamp(KernelTuning.PanelBytes / k / tileRows * tileRows, tileRows, KernelTuning.MaxPanelRows);
        byte* codes = KernelScratch.Codes((long)panelRows * k);
        var sumq = (int*)KernelScratch.Activations((long)n * sizeof(int));
        for (int t = 0; t < n; t++) sumq[t] = TernaryCodes.Sum(q + (long)t * k, k);
        int* f = stackalloc int[tileRows * tileTokens];
        // Token blocks of equal size, a multiple of the tile's tokens (the last one takes the remainder).
        int blocks = T.TokenBlockBytes == int.MaxValue ? 1 : (int)Math.Max(1, ((long)n * k + T.TokenBlockBytes - 1) / T.TokenBlockBytes);
        int blockTokens = ((n + blocks - 1) / blocks + tileTokens - 1) / tileTokens * tileTokens;
        for (int b0 = 0; b0 < n; b0 += blockTokens)
        {
            int b1 = Math.Min(n, b0 + blockTokens);
            for (int p0 = row0; p0 < row1; p0 += panelRows)
            {
                int pr = Math.Min(panelRows, row1 - p0), padded = (pr + tileRows - 1) / tileRows * tileRows;
                for (int i = 0; i < pr; i++) TernaryCodes.UnpackRow(w, p0 + i, codes + (long)i * k);
                new Span<byte>(codes + (long)pr * k, (padded - pr) * k).Clear();
                int* d = dots + (p0 - row0);
                int t0 = b0;
                for (; t0 + tileTokens <= b1; t0 += tileTokens)
                    for (int i = 0; i < padded; i += tileRows)
                    {
                        T.Full(codes + (long)i * k, q + (long)t0 * k, k, f);
                        Store(f, tileRows, tileTokens, d + i, stride, t0, Math.Min(tileRows, pr - i), sumq);
                    }
                for (; t0 < b1; t0++)
                    for (int i = 0; i < padded; i += tileRows)
                    {
                        T.One(codes + (long)i * k, q + (long)t0 * k, k, f);
                        Store(f, tileRows, 1, d + i, stride, t0, Math.Min(tileRows, pr - i), sumq);
                    }
            }
        }
    }

    /// <summary>dots[(t0 + t)·stride + r] = f[tileRows·t + r] − Σq[t0 + t] for the tile's valid rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(int* f, int tileRows, int tokens, int* d, int stride, int t0, int rows, int* sumq)
    {
        for (int t = 0; t < tokens; t++)
        {
            int* dt = d + (long)(t0 + t) * stride;
            int sq = sumq[t0 + t];
            for (int r = 0; r < rows; r++) dt[r] = f[tileRows * t + r] - sq;
        }
    }
}
