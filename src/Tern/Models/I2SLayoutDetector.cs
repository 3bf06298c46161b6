using Tern.Gguf;
using Tern.Tensors;

namespace Tern.Models;

/// <summary>
/// Tells from a file's weights which I2_S layout it holds, since bitnet.cpp writes no metadata that says so
/// (its <c>llama-quantize</c> sets only general.file_type = 40 and general.quantization_version, whatever the machine).
/// </summary>
/// <remarks>
/// <para><b>The test.</b> Hidden unit j of a feed-forward block reads the residual stream through row j of
/// <c>ffn_up</c> and writes it back through column j of <c>ffn_down</c>. In trained networks the two vectors are far
/// from orthogonal: |cos(up_j, down_·j)| averages 0.13–0.36 per layer in the trained ternary TinyStories model
/// (oracle/bitllama2c, the built-in model), against 0.07–0.09 for the same weights decoded in the other layout, which
/// shuffles both the unit index (down's columns) and the residual index (up's columns) inside each 128-value chunk,
/// pairing each row with an unrelated column. Random weights score the same in both layouts.</para>
/// <para><b>The rule.</b> Decode a few layers both ways and take a layout only when its mean |cos| beats the other's by
/// <see cref="MinimumRatio"/> (in the trained model the worst single layer wins by 1.9×, the four layers sampled by
/// 3.7×); otherwise assume x86 — the layout of Microsoft's published files and of bitnet.cpp's Python converter — and
/// say so.</para>
/// <para><b>Why it fails safe.</b> Decoded in the wrong layout, the pairs are unrelated, so that score is a baseline the
/// right layout can only meet or exceed; with 512 units over up to 4 layers its sampling noise is a few percent, far
/// below 25%. A model without the coupling therefore comes out "inconclusive" (x86 assumed, with a warning), not as
/// the wrong layout. The coupling itself was measured on one small trained model, not on BitNet 2B-4T: the decision is
/// always reported when it is not plain x86, and <see cref="ModelOptions.I2SLayout"/> overrides it.</para>
/// </remarks>
public static unsafe class I2SLayoutDetector
{
    /// <summary>
    /// Metadata key Tern's dummy writer sets to "x86" or "arm" so its files say which layout they hold. No other tool
    /// writes it; when present it is trusted, and a value other than those two is an error.
    /// </summary>
    public const string MetadataKey = "tern.i2_s.layout";

    /// <summary>How much better one layout's mean |cos| must be to be chosen.</summary>
    public const double MinimumRatio = 1.25;
    private const int MaxLayers = 4;
    private const int MaxUnits = 512; // hidden units sampled per layer (whole 128-value chunks)
    private const long MaxWidth = 1 << 20;

    public static I2SLayoutDecision Decide(GgufFile file, I2SBlockLayout? requested)
    {
        if (requested is { } r)
            return new I2SLayoutDecision(r, I2SLayoutSource.Override, "as requested");
        if (!file.Tensors.Any(t => t.Type == GgmlType.I2_S))
            return new I2SLayoutDecision(I2SBlockLayout.X86, I2SLayoutSource.NoI2STensors, "no I2_S tensors");
        if (file.Has(MetadataKey))
        {
            string? value = file.GetString(MetadataKey);
            var said = I2SLayoutDecision.Parse(value)
                ?? throw new GgufFormatException($"metadata '{MetadataKey}' is '{value}'; it must be 'x86' or 'arm'");
            return new I2SLayoutDecision(said, I2SLayoutSource.Metadata, $"from {MetadataKey}");
        }
        var layers = PairedLayers(file);
        if (layers.Count == 0)
            return Assumed("no I2_S ffn_up/ffn_down pair to test");
        double x86 = 0, arm = 0;
        int tested = 0;
        int step = Math.Max(1, (layers.Count + MaxLayers - 1) / MaxLayers);
        for (int i = 0; i < layers.Count; i += step)
        {
            var (up, down) = layers[i];
            x86 += MeanAbsCosine(file, up, down, I2SBlockLayout.X86);
            arm += MeanAbsCosine(file, up, down, I2SBlockLayout.Arm);
            tested++;
        }
        x86 /= tested; arm /= tested;
        string scores = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"ffn_up/ffn_down unit coupling over {tested} layer(s): x86 {x86:F3}, arm {arm:F3}");
        if (x86 >= MinimumRatio * arm && x86 > 0)
            return new I2SLayoutDecision(I2SBlockLayout.X86, I2SLayoutSource.WeightStatistics, scores);
        if (arm >= MinimumRatio * x86 && arm > 0)
            return new I2SLayoutDecision(I2SBlockLayout.Arm, I2SLayoutSource.WeightStatistics, scores);
        return Assumed(scores + ", inconclusive (random weights?)");
    }

    private static I2SLayoutDecision Assumed(string why) => new(I2SBlockLayout.X86, I2SLayoutSource.Assumed,
        why + "; assumed x86, the layout of Microsoft's files — if the output is garbage, the file may come from an ARM build of bitnet.cpp: try --i2s-layout arm");

    /// <summary>Layers whose ffn_up [dim → ff] and ffn_down [ff → dim] are both I2_S with matching shapes.</summary>
    private static List<(GgufTensorInfo Up, GgufTensorInfo Down)> PairedLayers(GgufFile file)
    {
        var result = new List<(GgufTensorInfo, GgufTensorInfo)>();
        for (int l = 0; l < file.Tensors.Count; l++)
        {
            var up = file.FindTensor($"blk.{l}.ffn_up.weight");
            var down = file.FindTensor($"blk.{l}.ffn_down.weight");
            if (up is null || down is null) break;
            if (up.Type != GgmlType.I2_S || down.Type != GgmlType.I2_S) continue;
            if (up.Dims.Length != 2 || down.Dims.Length != 2 || up.Dims[0] != down.Dims[1] || up.Dims[1] != down.Dims[0]) continue;
            if (up.Dims[0] > MaxWidth || up.Dims[1] > MaxWidth) continue; // no real model is this wide; keeps the sample arrays small

            result.Add((up, down));
        }
        return result;
    }

    /// <summary>Mean over sampled hidden units j of |cos(row j of up, column j of down)|, both decoded as <paramref name="layout"/>.</summary>
    private static double MeanAbsCosine(GgufFile file, GgufTensorInfo up, GgufTensorInfo down, I2SBlockLayout layout)
    {
        int dim = checked((int)up.Dims[0]), ff = checked((int)up.Dims[1]);
        int units = Math.Min(ff, MaxUnits) / I2S.BlockValues * I2S.BlockValues;
        if (units == 0) return 0;
        // GgufFile checked at open that each tensor holds rows·cols/4 code bytes (rows of whole 128-value blocks).
        byte* upCodes = file.GetTensorPointer(up), downCodes = file.GetTensorPointer(down);
        var upRows = new sbyte[units * dim];   // [unit][dim]
        var downRows = new sbyte[dim * units]; // [dim][unit]
        for (int j = 0; j < units; j++)
            DecodeRow(upCodes + (long)j * (dim / 4), dim, layout, upRows.AsSpan(j * dim, dim));
        for (int r = 0; r < dim; r++)
            DecodeRow(downCodes + (long)r * (ff / 4), units, layout, downRows.AsSpan(r * units, units));
        double sum = 0;
        int counted = 0;
        for (int j = 0; j < units; j++)
        {
            long dot = 0, nu = 0, nd = 0;
            var u = upRows.AsSpan(j * dim, dim);
            for (int r = 0; r < dim; r++)
            {
                int a = u[r], b = downRows[r * units + j];
                dot += a * b; nu += a * a; nd += b * b;
            }
            if (nu == 0 || nd == 0) continue;
            sum += Math.Abs(dot) / Math.Sqrt((double)nu * nd);
            counted++;
        }
        return counted == 0 ? 0 : sum / counted;
    }

    private static void DecodeRow(byte* codes, int values, I2SBlockLayout layout, Span<sbyte> dst)
    {
        var src = new ReadOnlySpan<byte>(codes, values / 4);
        if (layout == I2SBlockLayout.Arm)
        {
            var x86 = new byte[src.Length];
            I2SArm.ToX86(src, x86);
            src = x86;
        }
        I2S.DecodeTrits(src, 0, dst);
    }
}
