using System.Buffers.Binary;
using Tern.Gguf;
using Tern.Models;
using Tern.Tensors;
using Tern.Tokenizers;

namespace Tern.Conversion;

/// <summary>
/// Imports a bitllama2.c model (<see cref="BitLlama2cModelFile"/>) and its SentencePiece <c>tokenizer.model</c> into a
/// GGUF file of architecture <see cref="ArchitectureNames.BitLlama2cName"/>, which <see cref="Model.Load"/> runs with
/// bitllama2.c's own graph (parameter-free norm and absmax int8 quantization before every ternary linear).
/// </summary>
/// <remarks>
/// <para>Tensors written: <c>token_embd.weight</c> F32 [dim, vocab] (also the classifier: tied), <c>output_norm.weight</c>
/// F32 [dim], and per layer the seven projections as I2_S with the file's f32 scale (wq → attn_q, wk → attn_k,
/// wv → attn_v, wo → attn_output, w1 → ffn_gate, w3 → ffn_up, w2 → ffn_down). No attn_norm/ffn_norm/sub-norm tensors:
/// the graph has none.</para>
/// <para>I2_S is the only ternary layout that keeps the float32 scale exactly (TQ1_0/TQ2_0 store F16 block scales,
/// which would round bitllama2.c's absmean scales), so every projection input width K must be a multiple of 128.</para>
/// <para>Everything in the header is checked against the file length before anything is written; a bad weight code
/// found while writing aborts the conversion, and <see cref="GgufWriter.WriteTo(string)"/> then leaves no output file.</para>
/// </remarks>
public static class BitLlama2cConverter
{
    /// <summary>bitnet.cpp's LLAMA_FTYPE_MOSTLY_I2_S.</summary>
    public const uint FileTypeMostlyI2S = 40;

    public const float RopeTheta = 10000f;   // runbit.c: powf(10000.0f, …)
    public const float FinalNormEps = 1e-5f; // runbit.c's rmsnorm; the in-block norms have no epsilon

    public static void Convert(string modelBinPath, string tokenizerModelPath, string outputGgufPath)
    {
        var layout = BitLlama2cModelFile.Open(modelBinPath);
        foreach (var t in layout.Tensors)
            RequireWholeI2SBlocks(t, modelBinPath);
        var tokenizer = ReadTokenizer(tokenizerModelPath, layout);

        using var source = new FileStream(modelBinPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        if (source.Length != layout.FileLength)
            throw BitLlama2cModelFile.Error(modelBinPath, $"the file changed size while being read ({layout.FileLength} → {source.Length} bytes)");

        string arch = ArchitectureNames.BitLlama2cName, p = arch + ".";
        var w = new GgufWriter()
            .Add("general.architecture", arch)
            .Add("general.name", Path.GetFileNameWithoutExtension(modelBinPath))
            .Add("general.file_type", FileTypeMostlyI2S)
            .Add(p + "context_length", (uint)layout.SeqLen)
            .Add(p + "embedding_length", (uint)layout.Dim)
            .Add(p + "block_count", (uint)layout.Layers)
            .Add(p + "feed_forward_length", (uint)layout.HiddenDim)
            .Add(p + "attention.head_count", (uint)layout.Heads)
            .Add(p + "attention.head_count_kv", (uint)layout.KvHeads)
            .Add(p + "attention.layer_norm_rms_epsilon", FinalNormEps)
            .Add(p + "rope.freq_base", RopeTheta)
            .Add(p + "rope.dimension_count", (uint)layout.HeadSize)
            .Add(p + "vocab_size", (uint)layout.VocabSize);
        foreach (var (key, value) in tokenizer.ToGgufMetadata()) w.Add(key, value);

        // Float tensors are copied byte for byte (both files are little-endian float32).
        w.AddTensor("token_embd.weight", GgmlType.F32, [layout.Dim, layout.VocabSize],
            s => CopyBytes(source, layout.EmbeddingOffset, 4L * layout.Dim * layout.VocabSize, s, modelBinPath));
        w.AddTensor("output_norm.weight", GgmlType.F32, [layout.Dim],
            s => CopyBytes(source, layout.FinalNormOffset, 4L * layout.Dim, s, modelBinPath));
        // Per layer in Model.cs order; the file groups them by kind, the callbacks seek.
        foreach (var t in layout.Tensors.OrderBy(t => t.Layer).ThenBy(t => KindOrder(t.Kind)))
            w.AddTensor(t.GgufName, GgmlType.I2_S, [t.Cols, t.Rows], s => WriteI2S(source, t, s, modelBinPath));

        w.WriteTo(outputGgufPath);
    }

    // GGUF tensor order within a layer: q, k, v, output, gate, up, down.
    private static int KindOrder(string kind) => kind switch
    {
        "wq" => 0, "wk" => 1, "wv" => 2, "wo" => 3, "w1" => 4, "w3" => 5, "w2" => 6,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Projections are stored as I2_S, whose rows must hold whole 128-value blocks.</summary>
    private static void RequireWholeI2SBlocks(BitLlama2cModelFile.TernaryTensor t, string path)
    {
        // (A TQ2_0 fallback for K % 256 == 0 could never apply — any multiple of 256 is one of 128 — and would round the scale to F16.)
        if (t.Cols % I2S.BlockValues != 0)
            throw BitLlama2cModelFile.Error(path,
                $"{t.Kind} of layer {t.Layer} has {t.Cols} inputs per row; Tern stores ternary rows in blocks of {I2S.BlockValues} values (I2_S), so it cannot import this shape");
    }

    private static TokenizerData ReadTokenizer(string path, BitLlama2cModelFile layout)
    {
        var data = SentencePieceModelFile.ReadModel(path).ToTokenizerData();
        if (data.Tokens.Length != layout.VocabSize)
            throw new BitLlama2cFormatException($"{path}: the tokenizer has {data.Tokens.Length} pieces but {layout.Path} has vocab_size {layout.VocabSize}");
        // llama2.c's runners end a story when the model emits BOS (id 1) again: recorded as the end-of-turn token, so
        // generation from the converted file stops where the original does.
        if (data.EotId < 0 && data.BosId >= 0) data = data with { EotId = data.BosId };
        data.Validate();
        return data;
    }

    private static void CopyBytes(FileStream source, long offset, long count, Stream dst, string path)
    {
        var buffer = new byte[(int)Math.Min(count, 1 << 20)];
        source.Position = offset;
        for (long done = 0; done < count;)
        {
            int n = (int)Math.Min(buffer.Length, count - done);
            ReadExactly(source, buffer.AsSpan(0, n), path);
            dst.Write(buffer, 0, n);
            done += n;
        }
    }

    /// <summary>
    /// Re-encodes one tensor as I2_S: codes in 128-value blocks (value j of a block in byte j mod 32 at shift
    /// 6 − 2⌊j/32⌋, see <see cref="I2S"/>), then the f32 scale and 28 zero bytes. The source's flat row-major order is the
    /// same as I2_S's, so each 32-byte source run (128 values, 4 per byte, first in the top bits) becomes one block.
    /// </summary>
    private static void WriteI2S(FileStream source, BitLlama2cModelFile.TernaryTensor t, Stream dst, string path)
    {
        Span<byte> scaleBytes = stackalloc byte[4];
        source.Position = t.Offset;
        ReadExactly(source, scaleBytes, path);
        float scale = BinaryPrimitives.ReadSingleLittleEndian(scaleBytes);
        if (!float.IsFinite(scale))
            throw BitLlama2cModelFile.Error(path, $"{t.Kind} of layer {t.Layer}: scale {scale} is not finite");

        const int chunkBlocks = 8192; // 1 MiB of codes per read
        var src = new byte[chunkBlocks * I2S.BlockBytes];
        var outBuf = new byte[src.Length];
        Span<sbyte> trits = stackalloc sbyte[I2S.BlockValues];
        for (long done = 0; done < t.CodeBytes;)
        {
            int n = (int)Math.Min(src.Length, t.CodeBytes - done);
            ReadExactly(source, src.AsSpan(0, n), path);
            for (int b = 0; b < n; b += I2S.BlockBytes)
            {
                var block = src.AsSpan(b, I2S.BlockBytes);
                for (int i = 0; i < I2S.BlockBytes; i++)
                {
                    int code = block[i];
                    if (!SourceByteIsValid(code))
                        throw BitLlama2cModelFile.Error(path,
                            $"{t.Kind} of layer {t.Layer}: byte 0x{code:x2} at file offset {t.CodesOffset + done + b + i} holds the unused weight code 10");
                    for (int k = 0; k < 4; k++) trits[4 * i + k] = SourceTrit(code >> (6 - 2 * k) & 3);
                }
                var o = outBuf.AsSpan(b, I2S.BlockBytes);
                for (int m = 0; m < 32; m++)
                    o[m] = (byte)((trits[m] + 1) << 6 | (trits[32 + m] + 1) << 4 | (trits[64 + m] + 1) << 2 | (trits[96 + m] + 1));
            }
            dst.Write(outBuf, 0, n);
            done += n;
        }
        Span<byte> trailer = stackalloc byte[I2S.TrailerBytes];
        trailer.Clear();
        BinaryPrimitives.WriteSingleLittleEndian(trailer, scale);
        dst.Write(trailer);
    }

    // bitllama2.c codes: 00 = 0, 01 = +1, 11 = −1; 10 never occurs in a valid file.
    private static sbyte SourceTrit(int code) => code switch { 0 => 0, 1 => 1, 3 => -1, _ => throw new InvalidOperationException() };

    private static bool SourceByteIsValid(int b) =>
        (b & 0xC0) != 0x80 && (b & 0x30) != 0x20 && (b & 0x0C) != 0x08 && (b & 0x03) != 0x02;

    private static void ReadExactly(FileStream s, Span<byte> buffer, string path)
    {
        try
        {
            s.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new BitLlama2cFormatException($"{path}: the file ended early (was it truncated while being converted?)", e);
        }
    }
}
