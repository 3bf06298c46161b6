using System.Text;

namespace Tern.Tokenizers;

/// <summary>
/// The parts of a SentencePiece <c>tokenizer.model</c> (a serialized <c>sentencepiece.ModelProto</c>) that Tern needs.
/// </summary>
/// <param name="Pieces">Vocabulary pieces by id ("▁" for spaces, "&lt;0x0A&gt;" for byte-fallback tokens).</param>
/// <param name="Scores">Piece scores (for BPE models: higher merges first).</param>
/// <param name="Types">Piece types, numbered as GGUF token types (<see cref="TokenType"/>).</param>
/// <param name="ModelType">TrainerSpec.model_type: 1 unigram, 2 BPE, 3 word, 4 char.</param>
/// <param name="UnkId">TrainerSpec ids; -1 when disabled.</param>
/// <param name="AddDummyPrefix">NormalizerSpec.add_dummy_prefix: a space is put in front of the text.</param>
/// <param name="RemoveExtraWhitespaces">NormalizerSpec.remove_extra_whitespaces (false for LLaMA-2; Tern does not apply it).</param>
/// <param name="NormalizerName">NormalizerSpec.name, e.g. "identity" (LLaMA-2); Tern applies no normalization rule.</param>
public sealed record SentencePieceModel(
    string[] Pieces, float[] Scores, int[] Types, int ModelType,
    int UnkId, int BosId, int EosId, int PadId,
    bool AddDummyPrefix, bool RemoveExtraWhitespaces, string? NormalizerName)
{
    public const int Unigram = 1, Bpe = 2;

    /// <summary>
    /// The GGUF-shaped tokenizer description for this model ("llama" model, BOS added by default, as llama.cpp's
    /// converter writes it). Only BPE models are accepted: Tern's SentencePiece encoder is the BPE algorithm, and a
    /// unigram model encoded that way would give token sequences the model was not trained on.
    /// </summary>
    public TokenizerData ToTokenizerData()
    {
        if (ModelType != Bpe)
            throw new NotSupportedException($"SentencePiece model type {ModelType} is not supported: Tern encodes SentencePiece BPE models (type {Bpe}) only");
        int n = Pieces.Length;
        int Id(int id) => id >= 0 && id < n ? id : -1;
        return new TokenizerData
        {
            Model = "llama",
            Tokens = Pieces,
            Scores = Scores,
            TokenTypes = Types,
            BosId = Id(BosId),
            EosId = Id(EosId),
            UnkId = Id(UnkId),
            PadId = Id(PadId),
            AddBos = true,
            AddEos = false,
            AddSpacePrefix = AddDummyPrefix,
        };
    }
}

/// <summary>A minimal protobuf reader for SentencePiece <c>tokenizer.model</c> files.</summary>
public static class SentencePieceModelFile
{
    /// <summary>Pieces, scores and types (as GGUF token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).</summary>
    public static (string[] Pieces, float[] Scores, int[] Types) Read(string path)
    {
        var model = ReadModel(path);
        return (model.Pieces, model.Scores, model.Types);
    }

    /// <summary>Everything Tern reads from the file.</summary>
    public static SentencePieceModel ReadModel(string path)
    {
        try
        {
            return Parse(File.ReadAllBytes(path));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a valid SentencePiece model: {e.Message}", e);
        }
    }

    // Field numbers from sentencepiece_model.proto.
    private const int ModelPieces = 1, ModelTrainerSpec = 2, ModelNormalizerSpec = 3;
    private const int PieceText = 1, PieceScore = 2, PieceType = 3;
    private const int TrainerModelType = 3, TrainerUnkId = 40, TrainerBosId = 41, TrainerEosId = 42, TrainerPadId = 43;
    private const int NormalizerName = 1, NormalizerAddDummyPrefix = 3, NormalizerRemoveExtraWhitespaces = 4;

    /// <summary>Parses a serialized ModelProto.</summary>
    public static SentencePieceModel Parse(ReadOnlySpan<byte> data)
    {
        var pieces = new List<string>();
        var scores = new List<float>();
        var types = new List<int>();
        // proto2 defaults
        int modelType = SentencePieceModel.Unigram, unk = 0, bos = 1, eos = 2, pad = -1;
        bool addDummyPrefix = true, removeExtraWhitespaces = true;
        string? normalizerName = null;

        var model = new ProtoReader(data);
        while (model.TryReadTag(out int field, out int wire))
        {
            if (field == ModelPieces && wire == ProtoReader.LengthDelimited)
            {
                var piece = new ProtoReader(model.ReadBytes());
                string text = "";
                float score = 0;
                int type = (int)TokenType.Normal;
                while (piece.TryReadTag(out int f, out int w))
                {
                    if (f == PieceText && w == ProtoReader.LengthDelimited) text = Encoding.UTF8.GetString(piece.ReadBytes());
                    else if (f == PieceScore && w == ProtoReader.Fixed32) score = BitConverter.Int32BitsToSingle((int)piece.ReadFixed32());
                    else if (f == PieceType && w == ProtoReader.Varint) type = (int)piece.ReadVarint();
                    else piece.Skip(w);
                }
                if (type is < 1 or > 6) throw new InvalidDataException($"piece {pieces.Count} has unknown type {type}");
                pieces.Add(text);
                scores.Add(score);
                types.Add(type);
            }
            else if (field == ModelTrainerSpec && wire == ProtoReader.LengthDelimited)
            {
                var spec = new ProtoReader(model.ReadBytes());
                while (spec.TryReadTag(out int f, out int w))
                {
                    if (w != ProtoReader.Varint) { spec.Skip(w); continue; }
                    int value = (int)spec.ReadVarint(); // int32 fields: negatives are sign-extended 64-bit varints
                    switch (f)
                    {
                        case TrainerModelType: modelType = value; break;
                        case TrainerUnkId: unk = value; break;
                        case TrainerBosId: bos = value; break;
                        case TrainerEosId: eos = value; break;
                        case TrainerPadId: pad = value; break;
                    }
                }
            }
            else if (field == ModelNormalizerSpec && wire == ProtoReader.LengthDelimited)
            {
                var spec = new ProtoReader(model.ReadBytes());
                while (spec.TryReadTag(out int f, out int w))
                {
                    if (f == NormalizerName && w == ProtoReader.LengthDelimited) normalizerName = Encoding.UTF8.GetString(spec.ReadBytes());
                    else if (f == NormalizerAddDummyPrefix && w == ProtoReader.Varint) addDummyPrefix = spec.ReadVarint() != 0;
                    else if (f == NormalizerRemoveExtraWhitespaces && w == ProtoReader.Varint) removeExtraWhitespaces = spec.ReadVarint() != 0;
                    else spec.Skip(w);
                }
            }
            else model.Skip(wire);
        }
        if (pieces.Count == 0) throw new InvalidDataException("the model has no pieces");
        return new SentencePieceModel(pieces.ToArray(), scores.ToArray(), types.ToArray(), modelType,
            unk, bos, eos, pad, addDummyPrefix, removeExtraWhitespaces, normalizerName);
    }

    /// <summary>Protobuf wire-format reader over a byte span; every read is bounds-checked.</summary>
    private ref struct ProtoReader(ReadOnlySpan<byte> data)
    {
        public const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;

        public bool TryReadTag(out int field, out int wire)
        {
            field = wire = 0;
            if (_pos >= _data.Length) return false;
            ulong tag = ReadVarint();
            field = (int)(tag >> 3);
            wire = (int)(tag & 7);
            if (field == 0) throw new InvalidDataException($"field number 0 at byte {_pos}");
            return true;
        }

        public ulong ReadVarint()
        {
            ulong result = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_pos >= _data.Length) throw new InvalidDataException("truncated varint");
                byte b = _data[_pos++];
                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return result;
            }
            throw new InvalidDataException("varint longer than 10 bytes");
        }

        public uint ReadFixed32()
        {
            if (_data.Length - _pos < 4) throw new InvalidDataException("truncated fixed32");
            uint v = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(_data.Slice(_pos, 4));
            _pos += 4;
            return v;
        }

        public ReadOnlySpan<byte> ReadBytes()
        {
            ulong length = ReadVarint();
            if (length > (ulong)(_data.Length - _pos)) throw new InvalidDataException($"length {length} at byte {_pos} runs past the end");
            var bytes = _data.Slice(_pos, (int)length);
            _pos += (int)length;
            return bytes;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case Varint: ReadVarint(); break;
                case Fixed64: Advance(8); break;
                case LengthDelimited: ReadBytes(); break;
                case Fixed32: Advance(4); break;
                default: throw new InvalidDataException($"unsupported wire type {wire} at byte {_pos}");
            }
        }

        private void Advance(int n)
        {
            if (_data.Length - _pos < n) throw new InvalidDataException("truncated field");
            _pos += n;
        }
    }
}
