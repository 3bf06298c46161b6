using System.Runtime.InteropServices;
using Tern.Gguf;
using Tern.Models;
using Tern.Tensors;
using Tern.Tokenizers;

namespace Tern.Dummy;

/// <summary>
/// Writes a GGUF model with random weights of a <see cref="DummyModelSpec"/>'s shape, loadable by <see cref="Model.Load"/>
/// (the tensors and keys its architecture reads) with a valid byte-level tokenizer. For benchmarks and tests.
/// </summary>
/// <remarks>
/// <para>Deterministic: every tensor has its own SplitMix64 stream seeded from the spec's seed and the tensor's name,
/// so the same spec gives the same bytes, and the projections hold the same trits and scales whatever the
/// <see cref="DummyModelSpec.WeightType"/> (see <see cref="RandomTernaryTensor"/>): I2_S, TQ2_0 and TQ1_0 files of one
/// spec give bit-identical logits.</para>
/// <para>Values, chosen so that activations stay near unit scale through any number of layers and the logits are
/// spread but finite: projections as described in <see cref="RandomTernaryTensor"/>; norm gains uniform in [0.9, 1.1);
/// embedding values uniform on a grid of 2048 steps over [−a, a), a = the power of two nearest 4·√(3 / dim), which
/// makes the tied output layer's logits about 4 in standard deviation. The grid values are exact in F16 and F32.</para>
/// <para>Streaming: tensors are generated a chunk of rows (about 1 MiB) at a time inside the writer's callbacks, so the
/// memory used does not grow with the model.</para>
/// </remarks>
public static class DummyModelWriter
{
    private const int ChunkBytes = 1 << 20;

    public static void Write(string path, DummyModelSpec spec, IProgress<double>? progress = null)
    {
        spec.Validate();
        var kind = ArchitectureNames.FromName(spec.Architecture);
        bool blockNorms = kind != ArchitectureKind.BitLlama2c;
        bool subNorms = kind is ArchitectureKind.BitNetB158 or ArchitectureKind.BitNet;

        string arch = spec.Architecture, p = arch + ".";
        var w = new GgufWriter()
            .Add("general.architecture", arch)
            .Add("general.name", $"tern-dummy-{arch}-{spec.Dim}x{spec.Layers}")
            .Add("general.description", $"random weights from Tern's dummy model generator, seed {spec.Seed}")
            .Add("general.file_type", FileType(spec.WeightType))
            .Add(p + "context_length", (uint)spec.ContextLength)
            .Add(p + "embedding_length", (uint)spec.Dim)
            .Add(p + "block_count", (uint)spec.Layers)
            .Add(p + "feed_forward_length", (uint)spec.FfnDim)
            .Add(p + "attention.head_count", (uint)spec.Heads)
            .Add(p + "attention.head_count_kv", (uint)spec.KvHeads)
            .Add(p + "attention.layer_norm_rms_epsilon", 1e-5f)
            .Add(p + "rope.freq_base", spec.RopeTheta)
            .Add(p + "rope.dimension_count", (uint)spec.HeadDim)
            .Add(p + "vocab_size", (uint)spec.VocabSize);
        if (spec.WeightType == GgmlType.I2_S && spec.WriteI2SLayoutKey)
            w.Add(I2SLayoutDetector.MetadataKey, I2SLayoutDecision.Name(spec.I2SLayout));
        foreach (var (key, value) in TokenizerData.CreateTinyByteLevel(spec.VocabSize).ToGgufMetadata()) w.Add(key, value);

        var tensors = new List<(string Name, GgmlType Type, long[] Dims, Action<Stream, Action<long>> Write)>();
        void Norm(string name, int length) =>
            tensors.Add((name, GgmlType.F32, [length], (s, done) => WriteNorm(s, spec.Seed, name, length, done)));
        void Projection(string name, int inputs, int outputs)
        {
            var t = new RandomTernaryTensor(spec.Seed, name, outputs, inputs);
            tensors.Add((name, spec.WeightType, [inputs, outputs], (s, done) => t.WriteTo(s, spec.WeightType, ChunkBytes, done, spec.I2SLayout)));
        }

        tensors.Add(("token_embd.weight", spec.EmbeddingType, [spec.Dim, spec.VocabSize],
            (s, done) => WriteEmbedding(s, spec, "token_embd.weight", done)));
        int dim = spec.Dim, qd = spec.Heads * spec.HeadDim, kvd = spec.KvDim, ff = spec.FfnDim;
        for (int l = 0; l < spec.Layers; l++)
        {
            string b = $"blk.{l}.";
            if (blockNorms) Norm(b + "attn_norm.weight", dim);
            Projection(b + "attn_q.weight", dim, qd);
            Projection(b + "attn_k.weight", dim, kvd);
            Projection(b + "attn_v.weight", dim, kvd);
            if (subNorms) Norm(b + "attn_sub_norm.weight", qd);
            Projection(b + "attn_output.weight", qd, dim);
            if (blockNorms) Norm(b + "ffn_norm.weight", dim);
            Projection(b + "ffn_gate.weight", dim, ff);
            Projection(b + "ffn_up.weight", dim, ff);
            if (subNorms) Norm(b + "ffn_sub_norm.weight", ff);
            Projection(b + "ffn_down.weight", ff, dim);
        }
        Norm("output_norm.weight", dim);

        long total = tensors.Sum(t => GgufWriter.ByteSizeOf(t.Type, t.Dims)), written = 0;
        double reported = 0;
        void Done(long bytes)
        {
            written += bytes;
            double fraction = (double)written / total;
            if (progress is not null && fraction - reported >= 0.001)
            {
                reported = fraction;
                progress.Report(fraction);
            }
        }
        foreach (var t in tensors) w.AddTensor(t.Name, t.Type, t.Dims, s => t.Write(s, Done));
        w.WriteTo(path);
        progress?.Report(1.0);
    }

    /// <summary>general.file_type: llama.cpp's LLAMA_FTYPE_MOSTLY_TQ1_0 (36) / TQ2_0 (37), bitnet.cpp's MOSTLY_I2_S (40).</summary>
    public static uint FileType(GgmlType weightType) => weightType switch
    {
        GgmlType.TQ1_0 => 36,
        GgmlType.TQ2_0 => 37,
        GgmlType.I2_S => 40,
        _ => throw new ArgumentException($"no file type for weight type {weightType}", nameof(weightType)),
    };

    /// <summary>The embedding amplitude a: the power of two nearest 4·√(3 / dim).</summary>
    public static float EmbeddingAmplitude(int dim) => MathF.ScaleB(1f, (int)Math.Round(Math.Log2(4 * Math.Sqrt(3.0 / dim))));

    internal static void WriteEmbedding(Stream s, DummyModelSpec spec, string name, Action<long> done)
    {
        // 2048 grid values a·(k − 1024)/1024: at most 11 significant bits, so exact in F16 (and F32).
        float a = EmbeddingAmplitude(spec.Dim);
        var grid = new float[2048];
        for (int k = 0; k < grid.Length; k++) grid[k] = a * (k - 1024) / 1024f;
        int width = spec.EmbeddingType == GgmlType.F32 ? 4 : 2;
        var bits16 = new ushort[grid.Length];
        for (int k = 0; k < grid.Length; k++)
            bits16[k] = spec.EmbeddingType == GgmlType.BF16 ? HalfConversion.F32ToBF16(grid[k]) : HalfConversion.F32ToF16(grid[k]);

        var rng = SplitMix64.ForName(spec.Seed, name);
        long count = (long)spec.Dim * spec.VocabSize;
        int chunkValues = (int)Math.Min(count, ChunkBytes / width) & ~3; // whole 64-bit draws of 4 values
        if (chunkValues == 0) chunkValues = 4;
        var buffer = new byte[chunkValues * width];
        for (long doneValues = 0; doneValues < count;)
        {
            int n = (int)Math.Min(chunkValues, count - doneValues);
            if (width == 2)
            {
                var dst = MemoryMarshal.Cast<byte, ushort>(buffer.AsSpan(0, ((n + 3) & ~3) * 2));
                for (int i = 0; i < dst.Length; i += 4)
                {
                    ulong r = rng.Next();
                    dst[i] = bits16[(int)(r >> 5 & 2047)];
                    dst[i + 1] = bits16[(int)(r >> 21 & 2047)];
                    dst[i + 2] = bits16[(int)(r >> 37 & 2047)];
                    dst[i + 3] = bits16[(int)(r >> 53)];
                }
            }
            else
            {
                var dst = MemoryMarshal.Cast<byte, float>(buffer.AsSpan(0, ((n + 3) & ~3) * 4));
                for (int i = 0; i < dst.Length; i += 4)
                {
                    ulong r = rng.Next();
                    dst[i] = grid[(int)(r >> 5 & 2047)];
                    dst[i + 1] = grid[(int)(r >> 21 & 2047)];
                    dst[i + 2] = grid[(int)(r >> 37 & 2047)];
                    dst[i + 3] = grid[(int)(r >> 53)];
                }
            }
            s.Write(buffer, 0, n * width);
            done(n * width);
            doneValues += n;
        }
    }

    internal static void WriteNorm(Stream s, ulong seed, string name, int length, Action<long> done)
    {
        var rng = SplitMix64.ForName(seed, name);
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = 0.9f + 0.2f * rng.NextFloat();
        s.Write(MemoryMarshal.AsBytes(values.AsSpan()));
        done(4L * length);
    }
}
