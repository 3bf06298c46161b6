using System.Runtime.InteropServices;
using Tern.Safetensors;
using Tern.Tensors;

namespace Tern.Conversion;

/// <summary>
/// Reads one projection of a checkpoint as ternary values and a per-tensor scale (W = scale · trits), whichever way it
/// is stored (spec/converter.md):
/// <list type="bullet">
/// <item>U8 <c>[out/4, in]</c> packed codes (<see cref="PackedTernary"/>) or I8 <c>[out, in]</c> values in {−1, 0, 1}, with
/// a one-value <c>weight_scale</c> read by the checkpoint's <see cref="WeightScaleConvention"/>;</item>
/// <item>F32/F16/BF16 <c>[out, in]</c> master weights (<c>quantization_mode</c> online or absent), ternarized with the
/// absmean rule (<see cref="Ternarizer"/>);</item>
/// <item>F32/F16/BF16 in an <c>offline</c> checkpoint: already-quantized weights, which must be exactly s·{−1, 0, +1}.</item>
/// </list>
/// Llama Q/K rows are then reordered for GGUF's RoPE (<see cref="QkPermutation"/>).
/// </summary>
internal sealed class ProjectionReader(SafetensorsCheckpoint checkpoint, HfConfig config)
{
    private readonly WeightScaleConvention _convention = WeightScaleConventions.FromLinearClass(config.LinearClass);

    public (sbyte[] Trits, float Scale) Read(HfTensorPlan plan, SafetensorsTensorInfo t)
    {
        int rows = plan.Rows, cols = plan.Cols;
        var trits = new sbyte[(long)rows * cols];
        float scale;
        using (var view = checkpoint.Map(t))
        {
            switch (t.Dtype)
            {
                case SafetensorsDtype.U8:
                    if (rows % 4 != 0) throw new HfCheckpointException($"{t.Name}: {rows} output rows cannot be packed 4 per byte");
                    HfCheckpointReader.RequireShape(t, rows / 4, cols, "packed ternary (4 weights per byte along the output axis)");
                    PackedTernary.Unpack(view.Bytes, rows, cols, trits, t.Name);
                    scale = ReadWeightScale(t);
                    break;
                case SafetensorsDtype.I8:
                    HfCheckpointReader.RequireShape(t, rows, cols, "int8 ternary");
                    var values = MemoryMarshal.Cast<byte, sbyte>(view.Bytes);
                    for (int i = 0; i < values.Length; i++)
                        trits[i] = values[i] is >= -1 and <= 1 ? values[i]
                            : throw new HfCheckpointException($"{t.Name} is not ternary: element [{i / cols}, {i % cols}] is {values[i]}");
                    scale = ReadWeightScale(t);
                    break;
                case var d when HfFloats.IsFloat(d):
                    HfCheckpointReader.RequireShape(t, rows, cols, "float");
                    if (checkpoint.Find(HfTensorMap.WeightScaleName(t.Name)) is { } ws)
                        throw new HfCheckpointException($"{t.Name} is {SafetensorsDtypes.Name(d)} but has a {ws.Name}: float master weights carry no scale");
                    var w = new float[trits.Length];
                    HfFloats.ToFloat32(d, view.Bytes, w, t.Name);
                    scale = config.QuantizationMode == "offline" ? ExactTernary(w, trits, t.Name) : Ternarize(w, trits, t.Name);
                    break;
                default:
                    throw new HfCheckpointException($"{t.Name} is {SafetensorsDtypes.Name(t.Dtype)}; a projection is U8 (packed), I8, F32, F16 or BF16");
            }
        }
        if (plan.PermuteHeads > 0) trits = PermuteRows(trits, rows, cols, rows / plan.PermuteHeads);
        return (trits, scale);
    }

    private float ReadWeightScale(SafetensorsTensorInfo weight)
    {
        string name = HfTensorMap.WeightScaleName(weight.Name);
        var t = checkpoint.Find(name) ?? throw new HfCheckpointException($"{weight.Name} is packed ternary but the checkpoint has no {name}");
        double ws = HfFloats.Scalar(checkpoint, t);
        return _convention.TernaryScale(ws, name);
    }

    private static float Ternarize(float[] w, sbyte[] trits, string name)
    {
        foreach (float v in w)
            if (!float.IsFinite(v)) throw new HfCheckpointException($"{name} holds {v}; master weights must be finite");
        return Ternarizer.Ternarize(w, trits);
    }

    /// <summary>Weights stored already quantized: every value 0 or ±s for one s; anything else is not a ternary tensor.</summary>
    private static float ExactTernary(float[] w, sbyte[] trits, string name)
    {
        float s = 0;
        for (int i = 0; i < w.Length; i++)
        {
            float a = MathF.Abs(w[i]);
            if (a == 0) { trits[i] = 0; continue; }
            if (s == 0) s = a;
            else if (a != s || !float.IsFinite(a))
                throw new HfCheckpointException(
                    $"{name} is not ternary: the checkpoint says its weights are stored quantized (quantization_mode offline), but it holds magnitudes {s} and {a} (element {i}); a ternary tensor is s·{{−1, 0, +1}} for one s");
            trits[i] = (sbyte)(w[i] > 0 ? 1 : -1);
        }
        return s == 0 ? 1f : s;
    }

    private static sbyte[] PermuteRows(sbyte[] src, int rows, int cols, int headRows)
    {
        var dst = new sbyte[src.Length];
        for (int r = 0; r < rows; r++)
            src.AsSpan(QkPermutation.SourceRow(r, headRows) * cols, cols).CopyTo(dst.AsSpan(r * cols, cols));
        return dst;
    }
}
