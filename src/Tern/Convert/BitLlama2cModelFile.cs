using System.Buffers.Binary;

namespace Tern.Conversion;

/// <summary>
/// The layout of a bitllama2.c model file (<c>export_bitmodel.py</c> / <c>runbit.c</c> of HKUSTGZ-MICS-LYU/bitllama2.c,
/// described in ../shared/oracle/bitllama2c/README.md), read from its header and checked against the file length
/// before any weight is touched.
/// </summary>
/// <remarks>
/// <code>
/// [0, 256)    header: u32 magic 0x616b3432 ("ak42"), i32 version 1, i32 dim, hidden_dim, n_layers, n_heads,
///             n_kv_heads, vocab_size, seq_len, u8 shared_classifier, zeros
/// f32 [dim]              final norm weight
/// f32 [vocab][dim]       token embedding (also the classifier when shared_classifier = 1)
/// ternary tensors, grouped by kind across layers: wq (all layers), wk, wv, wo, w1, w2, w3;
///   each = f32 scale, then rows × cols / 4 bytes, row-major [out][in], 4 weights per byte, first weight in the
///   two most significant bits; codes 00 = 0, 01 = +1, 11 = −1 (10 is unused)
/// </code>
/// </remarks>
public sealed class BitLlama2cModelFile
{
    public const uint Magic = 0x616b3432; // "ak42" as written by struct.pack('I', …)
    public const int SupportedVersion = 1;
    public const int HeaderBytes = 256;

    /// <summary>The seven ternary kinds in file order, with the GGUF tensor each becomes.</summary>
    public static readonly IReadOnlyList<(string Kind, string GgufName)> Kinds =
    [
        ("wq", "attn_q"), ("wk", "attn_k"), ("wv", "attn_v"), ("wo", "attn_output"),
        ("w1", "ffn_gate"), ("w2", "ffn_down"), ("w3", "ffn_up"),
    ];

    /// <summary>One ternary matrix: [<see cref="Rows"/> outputs][<see cref="Cols"/> inputs] at <see cref="Offset"/> (its f32 scale; the codes follow).</summary>
    public sealed record TernaryTensor(string Kind, int Layer, string GgufName, int Rows, int Cols, long Offset)
    {
        public long CodeBytes => (long)Rows * Cols / 4;
        public long CodesOffset => Offset + 4;
    }

    private BitLlama2cModelFile() { }

    public required string Path { get; init; }
    public required long FileLength { get; init; }
    public required int Dim { get; init; }
    public required int HiddenDim { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int VocabSize { get; init; }
    public required int SeqLen { get; init; }

    public int HeadSize => Dim / Heads;
    public int KvDim => KvHeads * HeadSize;

    public long FinalNormOffset => HeaderBytes;
    public long EmbeddingOffset => HeaderBytes + 4L * Dim;
    public required IReadOnlyList<TernaryTensor> Tensors { get; init; }

    // Generous bounds: larger than any llama2.c-family model, small enough that no size computation can overflow.
    private const int MaxDim = 1 << 16, MaxHidden = 1 << 20, MaxLayers = 4096, MaxHeads = 1024, MaxVocab = 1 << 24, MaxSeqLen = 1 << 24;

    /// <summary>Reads and validates the header of <paramref name="path"/> and lays out every tensor, checking the sizes against the file length.</summary>
    public static BitLlama2cModelFile Open(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        return Read(fs, path);
    }

    /// <summary>As <see cref="Open"/>, from a seekable stream (<paramref name="name"/> is used in messages).</summary>
    public static BitLlama2cModelFile Read(Stream stream, string name)
    {
        long length = stream.Length;
        if (length < HeaderBytes)
            throw Error(name, $"the file is {length} bytes, shorter than the {HeaderBytes}-byte header");
        var h = new byte[HeaderBytes];
        stream.Position = 0;
        stream.ReadExactly(h);

        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(h);
        if (magic != Magic)
            throw Error(name, $"bad magic 0x{magic:x8}, expected 0x{Magic:x8} (\"ak42\"); not a bitllama2.c model (llama2.c's own float checkpoints are not ternary)");
        int version = BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(4));
        if (version != SupportedVersion)
            throw Error(name, $"unsupported version {version}; Tern imports version {SupportedVersion} (runbit.c's format)");
        int Field(int i) => BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(8 + 4 * i));
        int dim = Field(0), hidden = Field(1), layers = Field(2), heads = Field(3), kvHeads = Field(4), vocab = Field(5), seqLen = Field(6);
        byte shared = h[36];

        void Range(string field, int value, int max)
        {
            if (value < 1 || value > max) throw Error(name, $"{field} = {value} is outside 1..{max}");
        }
        Range("dim", dim, MaxDim);
        Range("hidden_dim", hidden, MaxHidden);
        Range("n_layers", layers, MaxLayers);
        Range("n_heads", heads, MaxHeads);
        Range("n_kv_heads", kvHeads, heads);
        if (vocab < 0)
            throw Error(name, $"vocab_size = {vocab}: a negative vocab size marks an unshared classifier, which runbit.c does not run and Tern does not import");
        Range("vocab_size", vocab, MaxVocab);
        Range("seq_len", seqLen, MaxSeqLen);
        if (dim % heads != 0) throw Error(name, $"dim {dim} is not a multiple of n_heads {heads}");
        if (heads % kvHeads != 0) throw Error(name, $"n_heads {heads} is not a multiple of n_kv_heads {kvHeads}");
        if (dim / heads % 2 != 0) throw Error(name, $"head size {dim / heads} is odd; RoPE rotates pairs");
        if (shared == 0)
            throw Error(name, "shared_classifier = 0: the file carries a separate ternary classifier, which runbit.c ignores and Tern does not import");
        if (shared != 1) throw Error(name, $"shared_classifier flag = {shared}, expected 1");
        if ((hidden & 3) != 0) throw Error(name, $"hidden_dim {hidden} is not a multiple of 4 (4 weights per byte)");

        int headSize = dim / heads, kvDim = kvHeads * headSize;
        var shapes = new Dictionary<string, (int Rows, int Cols)>
        {
            ["wq"] = (heads * headSize, dim), ["wk"] = (kvDim, dim), ["wv"] = (kvDim, dim), ["wo"] = (dim, heads * headSize),
            ["w1"] = (hidden, dim), ["w2"] = (dim, hidden), ["w3"] = (hidden, dim),
        };
        var tensors = new List<TernaryTensor>(7 * layers);
        long offset;
        try
        {
            offset = checked(HeaderBytes + 4L * dim + 4L * vocab * dim);
            foreach (var (kind, ggufName) in Kinds)
            {
                var (rows, cols) = shapes[kind];
                if ((long)rows * cols % 4 != 0) throw Error(name, $"{kind} [{rows}][{cols}] does not fill whole bytes");
                for (int l = 0; l < layers; l++)
                {
                    var t = new TernaryTensor(kind, l, $"blk.{l}.{ggufName}.weight", rows, cols, offset);
                    tensors.Add(t);
                    offset = checked(offset + 4 + t.CodeBytes);
                }
            }
        }
        catch (OverflowException)
        {
            throw Error(name, "the header's sizes overflow 64-bit arithmetic");
        }

        if (length < offset)
            throw Error(name, $"truncated: the header (dim {dim}, hidden {hidden}, {layers} layers, {heads}/{kvHeads} heads, vocab {vocab}) needs {offset} bytes, the file has {length}");
        if (length > offset)
        {
            long extra = length - offset;
            string hint = extra == 2L * layers * dim * 4
                ? " — exactly per-layer attention/ffn norm weights: an export from an earlier export_bitmodel.py, whose graph runbit.c no longer runs"
                : "";
            throw Error(name, $"the file has {extra} bytes after the last ternary tensor (expected length {offset}, actual {length}){hint}");
        }

        return new BitLlama2cModelFile
        {
            Path = name, FileLength = length,
            Dim = dim, HiddenDim = hidden, Layers = layers, Heads = heads, KvHeads = kvHeads, VocabSize = vocab, SeqLen = seqLen,
            Tensors = tensors,
        };
    }

    public override string ToString() =>
        $"bitllama2.c: dim {Dim}, hidden {HiddenDim}, {Layers} layers, {Heads}/{KvHeads} heads × {HeadSize}, vocab {VocabSize}, seq_len {SeqLen}";

    internal static BitLlama2cFormatException Error(string name, string message) => new($"{name}: {message}");
}
