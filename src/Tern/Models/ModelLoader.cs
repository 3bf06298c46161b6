using Tern.Gguf;
using Tern.Kernels;
using Tern.Models.Layers;
using Tern.Tensors;

namespace Tern.Models;

/// <summary>Builds the weight views of a model from a GGUF file, checking every shape against the configuration.</summary>
internal sealed unsafe class ModelLoader(GgufFile file, ITernaryKernel kernel, ActivationScheme scheme, bool ternaryFromFloat, I2SBlockLayout i2sLayout)
{
    /// <summary>Copies made at load (float projections re-encoded as ternary, ARM-layout I2_S repacked); they stay pinned for the model's life.</summary>
    public long CopiedBytes { get; private set; }
    public List<byte[]> Pinned { get; } = new();

    public float[] NormWeights(string name, int length)
    {
        var t = file.GetTensor(name);
        CheckShape(t, length);
        var result = new float[length];
        Dequantizer.DequantizeRow(t.Type, file.GetTensorBytes(t), result);
        return result;
    }

    public float[]? OptionalNormWeights(string name, int length) =>
        file.FindTensor(name) is null ? null : NormWeights(name, length);

    public FloatMatrix FloatMatrix(string name, int cols, int rows)
    {
        var t = file.GetTensor(name);
        CheckShape(t, cols, rows);
        return new FloatMatrix(name, t.Type, rows, cols, file.GetTensorPointer(t));
    }

    /// <summary>A projection [cols → rows]: ternary tensors get the int8 path, float tensors a float product.</summary>
    public Linear Linear(string name, int cols, int rows, float extraScale = 1f)
    {
        var t = file.GetTensor(name);
        CheckShape(t, cols, rows);
        if (!GgmlTypeInfo.IsTernary(t.Type))
        {
            var fm = new FloatMatrix(name, t.Type, rows, cols, file.GetTensorPointer(t));
            if (ternaryFromFloat && TryTernarize(fm) is { } tm)
                return new TernaryLinear(tm, kernel.Supports(tm) ? kernel : Kernels.Reference.ReferenceTernaryKernel.Instance, scheme, extraScale);
            return new FloatLinear(fm, extraScale);
        }
        float scale = TernaryScale(t);
        var m = t.Type == GgmlType.I2_S && i2sLayout == I2SBlockLayout.Arm
            ? RepackArm(t, rows, cols, scale)
            : new TernaryMatrix(name, t.Type, rows, cols, file.GetTensorPointer(t), t.ByteSize, scale);
        var k = kernel.Supports(m) ? kernel : Kernels.Reference.ReferenceTernaryKernel.Instance;
        if (!k.Supports(m)) throw new NotSupportedException($"tensor '{name}': ternary type {t.Type} is not supported for inference");
        return new TernaryLinear(m, k, scheme, extraScale);
    }

    /// <summary>The optional per-matmul scale tensor of 1bitLLM files (`blk.N.attn_q.scale`, shape {1}); 1 when absent.</summary>
    public float OptionalScalar(string name)
    {
        var t = file.FindTensor(name);
        if (t is null) return 1f;
        if (t.ElementCount != 1) throw new GgufFormatException($"tensor '{name}' should hold one value, has {t.ElementCount}");
        Span<float> v = stackalloc float[1];
        Dequantizer.DequantizeRow(t.Type, file.GetTensorBytes(t), v);
        return v[0];
    }

    /// <summary>
    /// A float projection whose values are all s·{−1, 0, +1} for one s (a ternary model stored as F16/F32) re-encoded
    /// as I2_S, so it runs with int8 activations exactly like the same model stored ternary. Null when it is not ternary.
    /// </summary>
    private TernaryMatrix? TryTernarize(FloatMatrix m)
    {
        if (m.Cols % 128 != 0) return null;
        var row = new float[m.Cols];
        var trits = new sbyte[m.Cols];
        var encoded = new byte[m.Cols / 4 + 32];
        var data = GC.AllocateArray<byte>(checked(m.Rows * (m.Cols / 4) + 32), pinned: true);
        float scale = 0;
        for (int r = 0; r < m.Rows; r++)
        {
            m.DecodeRow(r, row);
            for (int i = 0; i < row.Length; i++)
            {
                float v = row[i], a = MathF.Abs(v);
                if (a == 0) { trits[i] = 0; continue; }
                if (scale == 0) scale = a;
                else if (a != scale) return null;
                trits[i] = (sbyte)(v > 0 ? 1 : -1);
            }
            I2S.Encode(trits, 1f, encoded);
            encoded.AsSpan(0, m.Cols / 4).CopyTo(data.AsSpan(r * (m.Cols / 4)));
        }
        BitConverter.TryWriteBytes(data.AsSpan(m.Rows * (m.Cols / 4)), scale);
        Pinned.Add(data);
        CopiedBytes += data.Length;
        fixed (byte* p = data)
            return new TernaryMatrix(m.Name, GgmlType.I2_S, m.Rows, m.Cols, p, data.Length, scale);
    }

    /// <summary>
    /// An ARM-layout I2_S tensor (64-value blocks) rewritten in the x86 layout every kernel reads, so all kernels and
    /// platforms give the same logits for either layout. The trailer (scale and padding) is copied unchanged.
    /// </summary>
    private TernaryMatrix RepackArm(GgufTensorInfo t, int rows, int cols, float scale)
    {
        long codeBytes = (long)rows * cols / 4; // GgufFile checked ByteSize = codeBytes + 32 against the file
        var data = GC.AllocateArray<byte>(checked((int)t.ByteSize), pinned: true);
        byte* src = file.GetTensorPointer(t);
        const int Slice = 1 << 20; // whole 32-byte chunks
        for (long o = 0; o < codeBytes; o += Slice)
        {
            int n = (int)Math.Min(Slice, codeBytes - o);
            I2SArm.ToX86(new ReadOnlySpan<byte>(src + o, n), data.AsSpan((int)o, n));
        }
        new ReadOnlySpan<byte>(src + codeBytes, (int)(t.ByteSize - codeBytes)).CopyTo(data.AsSpan((int)codeBytes));
        Pinned.Add(data);
        CopiedBytes += data.Length;
        fixed (byte* p = data)
            return new TernaryMatrix(t.Name, GgmlType.I2_S, rows, cols, p, data.Length, scale);
    }

    private float TernaryScale(GgufTensorInfo t)
    {
        if (t.Type == GgmlType.I2_S)
        {
            float s = I2S.ReadScale(file.GetTensorBytes(t), t.ElementCount);
            if (!float.IsFinite(s)) throw new GgufFormatException($"tensor '{t.Name}': I2_S scale {s} is not finite");
            return s;
        }
        if (TernaryRowSource.TryGetUniformScale(file, t, out float scale)) return scale;
        throw new NotSupportedException(
            $"tensor '{t.Name}' ({t.Type}) has different scales in different blocks; Tern needs one scale per tensor (a ternary model quantized from ternary weights has one)");
    }

    private static void CheckShape(GgufTensorInfo t, params int[] dims)
    {
        bool ok = t.Dims.Length >= dims.Length;
        for (int i = 0; ok && i < t.Dims.Length; i++) ok = t.Dims[i] == (i < dims.Length ? dims[i] : 1);
        if (!ok)
            throw new GgufFormatException($"tensor '{t.Name}' has shape {t.ShapeString}, expected [{string.Join(", ", dims)}]");
    }
}
