using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Tern.Evaluation;

/// <summary>
/// The reference log-probabilities of a perplexity run (--kl-divergence-base), to compare other runs against.
/// Layout, little-endian: "TERNKLD1", int32 context, int32 vocab, int32 chunks, int32 token count, int32 tokens[count]
/// (the tokenized text, so a later run scores exactly the same windows), then for every scored position in order
/// (window by window, positions context/2 .. context−2) float32 ln p[vocab]: 4 · vocab bytes per scored token.
/// </summary>
public static class KlBaseFile
{
    private static ReadOnlySpan<byte> Magic => "TERNKLD1"u8;
    private const int HeaderInts = 4;

    public sealed class Writer : IDisposable
    {
        private readonly FileStream _file;
        private readonly float[] _logp;
        private readonly string _path, _temp;
        private bool _done;

        /// <summary>Writes into a temporary file beside <paramref name="path"/>; <see cref="Complete"/> renames it.</summary>
        public Writer(string path, int context, int vocab, int chunks, ReadOnlySpan<int> tokens)
        {
            _path = path;
            _temp = path + ".tmp";
            _logp = new float[vocab];
            _file = new FileStream(_temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            _file.Write(Magic);
            Span<byte> ints = stackalloc byte[4 * HeaderInts];
            BinaryPrimitives.WriteInt32LittleEndian(ints, context);
            BinaryPrimitives.WriteInt32LittleEndian(ints[4..], vocab);
            BinaryPrimitives.WriteInt32LittleEndian(ints[8..], chunks);
            BinaryPrimitives.WriteInt32LittleEndian(ints[12..], tokens.Length);
            _file.Write(ints);
            WriteLittleEndian(MemoryMarshal.AsBytes(tokens));
        }

        public void Add(ReadOnlySpan<float> logits)
        {
            LogProbabilities.All(logits, _logp);
            WriteLittleEndian(MemoryMarshal.AsBytes(_logp.AsSpan()));
        }

        public void Complete()
        {
            _file.Dispose();
            File.Move(_temp, _path, overwrite: true);
            _done = true;
        }

        public void Dispose()
        {
            _file.Dispose();
            if (!_done && File.Exists(_temp)) File.Delete(_temp);
        }

        private void WriteLittleEndian(ReadOnlySpan<byte> bytes)
        {
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian machines are not supported");
            _file.Write(bytes);
        }
    }

    /// <summary>A base file opened for reading, its header checked against the file's length.</summary>
    public sealed class Reader : IDisposable
    {
        private readonly FileStream _file;
        private readonly byte[] _row;

        public Reader(string path)
        {
            _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            Span<byte> head = stackalloc byte[8 + 4 * HeaderInts];
            if (_file.Length < head.Length || _file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length || !head[..8].SequenceEqual(Magic))
                throw Bad(path, "not a Tern KL-divergence base file (written by tern perplexity --kl-divergence-base)");
            Context = BinaryPrimitives.ReadInt32LittleEndian(head[8..]);
            Vocab = BinaryPrimitives.ReadInt32LittleEndian(head[12..]);
            Chunks = BinaryPrimitives.ReadInt32LittleEndian(head[16..]);
            int count = BinaryPrimitives.ReadInt32LittleEndian(head[20..]);
            if (Context < 4 || Vocab < 1 || Chunks < 1 || count < 0 || (long)Chunks * Context > count)
                throw Bad(path, $"inconsistent header (context {Context}, vocab {Vocab}, chunks {Chunks}, tokens {count})");
            long rows = (long)Chunks * (Context - 1 - Context / 2);
            long expected = head.Length + 4L * count + rows * 4L * Vocab;
            if (_file.Length != expected) throw Bad(path, $"{_file.Length} bytes where its header says {expected}: truncated or not a base file");
            var tokens = new int[count];
            _file.ReadExactly(MemoryMarshal.AsBytes(tokens.AsSpan()));
            foreach (int t in tokens)
                if ((uint)t >= (uint)Vocab) throw Bad(path, $"token id {t} outside its vocabulary of {Vocab}");
            Tokens = tokens;
            _row = new byte[4 * Vocab];
        }

        public int Context { get; }
        public int Vocab { get; }
        public int Chunks { get; }
        public int[] Tokens { get; }

        /// <summary>The next scored position's ln p, in the order they were written.</summary>
        public ReadOnlySpan<float> Next()
        {
            _file.ReadExactly(_row);
            return MemoryMarshal.Cast<byte, float>(_row);
        }

        public void Dispose() => _file.Dispose();

        private static InvalidDataException Bad(string path, string why) => new($"{path}: {why}");
    }
}
