using System.Globalization;
using System.Text;

namespace Tern.Tokenizers;

/// <summary>The split rules a byte-level BPE vocabulary was trained with (GGUF <c>tokenizer.ggml.pre</c>).</summary>
internal enum PreTokenizerKind
{
    /// <summary>
    /// LLaMA-3: <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>
    /// </summary>
    Llama3,
    /// <summary>Qwen2 / StableLM2: the LLaMA-3 pattern with single digits (<c>\p{N}</c> instead of <c>\p{N}{1,3}</c>).</summary>
    Qwen2,
    /// <summary>GPT-2: <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c> (case-sensitive contractions).</summary>
    Gpt2,
}

/// <summary>
/// The pre-tokenizer regexes, hand-written as scanners over code points. A .NET <see cref="System.Text.RegularExpressions.Regex"/>
/// would see UTF-16 units, so a letter outside the BMP (𝐀, 𠀀) would fail <c>\p{L}</c>; scanning code points gives the
/// semantics of the code-point regex engines the vocabularies were built with (Hugging Face's, tiktoken's) and of
/// llama.cpp's own splitter.
/// Each branch below names the alternative of the pattern it implements; alternatives are tried in pattern order, so
/// the first that matches at a position wins, exactly as in a backtracking regex.
/// </summary>
internal static class PreTokenizer
{
    private enum CharClass : byte
    {
        None = 0,      // past the end of the text
        Letter = 1,    // \p{L}
        Number = 2,    // \p{N}
        Space = 4,     // \s
        Other = 8,     // [^\s\p{L}\p{N}]
    }

    private static readonly CharClass[] AsciiClasses = BuildAscii();

    private static CharClass[] BuildAscii()
    {
        var t = new CharClass[128];
        for (int c = 0; c < 128; c++) t[c] = ClassifySlow(c);
        return t;
    }

    private static CharClass Classify(int cp) => cp < 128 ? AsciiClasses[cp] : ClassifySlow(cp);

    private static CharClass ClassifySlow(int cp)
    {
        var rune = new Rune(cp);
        // Rune.IsWhiteSpace is Unicode White_Space: \t..\r, space, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028/9, U+202F, U+205F, U+3000.
        if (Rune.IsWhiteSpace(rune)) return CharClass.Space;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharClass.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharClass.Number,
            _ => CharClass.Other,
        };
    }

    /// <summary>Splits <paramref name="text"/> into pieces; appends (start, length) in UTF-16 units to <paramref name="pieces"/>.</summary>
    public static void Split(ReadOnlySpan<char> text, PreTokenizerKind kind, List<(int Start, int Length)> pieces)
    {
        if (text.IsEmpty) return;
        var s = new CodePoints(text);
        switch (kind)
        {
            case PreTokenizerKind.Llama3: SplitLlama3(ref s, 3, pieces); break;
            case PreTokenizerKind.Qwen2: SplitLlama3(ref s, 1, pieces); break;
            case PreTokenizerKind.Gpt2: SplitGpt2(ref s, pieces); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>Convenience form for tests and tools: the pieces as strings.</summary>
    public static List<string> Split(string text, PreTokenizerKind kind)
    {
        var ranges = new List<(int, int)>();
        Split(text.AsSpan(), kind, ranges);
        return ranges.ConvertAll(r => text.Substring(r.Item1, r.Item2));
    }

    /// <summary>The text decoded to code points (lone surrogates become U+FFFD, as UTF-8 encoding will make them).</summary>
    private ref struct CodePoints
    {
        public readonly int Count;
        private readonly int[] _cp;
        private readonly CharClass[] _class;
        private readonly int[] _charStart; // UTF-16 offset of each code point; [Count] = text length

        public CodePoints(ReadOnlySpan<char> text)
        {
            _cp = new int[text.Length];
            _class = new CharClass[text.Length];
            _charStart = new int[text.Length + 1];
            int n = 0, i = 0;
            while (i < text.Length)
            {
                char c = text[i];
                int width = 1;
                int cp = c;
                if (char.IsSurrogate(c))
                {
                    if (Rune.DecodeFromUtf16(text[i..], out var r, out width) == System.Buffers.OperationStatus.Done) cp = r.Value;
                    else { cp = 0xFFFD; width = 1; }
                }
                _cp[n] = cp;
                _class[n] = Classify(cp);
                _charStart[n] = i;
                n++;
                i += width;
            }
            _charStart[n] = text.Length;
            Count = n;
        }

        /// <summary>The code point at <paramref name="i"/>, or -1 past the end.</summary>
        public readonly int Cp(int i) => i < Count ? _cp[i] : -1;
        public readonly CharClass Class(int i) => i < Count ? _class[i] : CharClass.None;
        public readonly int CharStart(int i) => _charStart[i];
    }

    private static void Emit(ref CodePoints s, ref int prevEnd, int end, List<(int, int)> pieces)
    {
        if (end > prevEnd)
        {
            int a = s.CharStart(prevEnd), b = s.CharStart(end);
            pieces.Add((a, b - a));
        }
        prevEnd = end;
    }

    private static int AsciiLower(int c) => c is >= 'A' and <= 'Z' ? c | 0x20 : c;

    /// <summary>Length (2 or 3) of a contraction <c>'s 't 're 've 'm 'll 'd</c> starting at pos, or 0.</summary>
    private static int Contraction(ref CodePoints s, int pos, bool ignoreCase)
    {
        if (s.Cp(pos) != '\'') return 0;
        int c1 = s.Cp(pos + 1), c2 = s.Cp(pos + 2);
        if (ignoreCase) { c1 = AsciiLower(c1); c2 = AsciiLower(c2); }
        if (c1 is 's' or 't' or 'm' or 'd') return 2;
        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return 3;
        return 0;
    }

    private static bool IsNewline(int cp) => cp is '\r' or '\n';

    private static void SplitLlama3(ref CodePoints s, int maxDigits, List<(int, int)> pieces)
    {
        int n = s.Count, pos = 0, prevEnd = 0;
        while (pos < n)
        {
            int cp = s.Cp(pos);
            var cls = s.Class(pos);

            // (?i:'s|'t|'re|'ve|'m|'ll|'d)
            int contraction = Contraction(ref s, pos, ignoreCase: true);
            if (contraction > 0)
            {
                pos += contraction;
                Emit(ref s, ref prevEnd, pos, pieces);
                continue;
            }

            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (!IsNewline(cp) && cls != CharClass.Number && (cls == CharClass.Letter || s.Class(pos + 1) == CharClass.Letter))
            {
                pos++;
                while (s.Class(pos) == CharClass.Letter) pos++;
                Emit(ref s, ref prevEnd, pos, pieces);
                continue;
            }

            // \p{N}{1,3} (one group; the next group is the next match)
            if (cls == CharClass.Number)
            {
                int start = pos;
                while (s.Class(pos) == CharClass.Number && pos - start < maxDigits) pos++;
                Emit(ref s, ref prevEnd, pos, pieces);
                continue;
            }

            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
            if ((cp == ' ' ? s.Class(pos + 1) : cls) == CharClass.Other)
            {
                if (cp == ' ') pos++;
                while (s.Class(pos) == CharClass.Other) pos++;
                while (IsNewline(s.Cp(pos))) pos++;
                Emit(ref s, ref prevEnd, pos, pieces);
                continue;
            }

            // What is left is a run of whitespace starting at pos.
            int run = 0, afterLastNewline = -1;
            while (s.Class(pos + run) == CharClass.Space)
            {
                if (IsNewline(s.Cp(pos + run))) afterLastNewline = pos + run + 1;
                run++;
            }
            // \s*[\r\n]+ : greedy \s* backs off to the last newline of the run.
            if (afterLastNewline > 0) pos = afterLastNewline;
            // \s+(?!\S) : a run followed by a non-space gives its last space to the next piece (" Hello").
            else if (run > 1 && pos + run < n) pos += run - 1;
            // \s+
            else pos += Math.Max(run, 1);
            Emit(ref s, ref prevEnd, pos, pieces);
        }
    }

    private static void SplitGpt2(ref CodePoints s, List<(int, int)> pieces)
    {
        int n = s.Count, pos = 0, prevEnd = 0;
        while (pos < n)
        {
            int cp = s.Cp(pos);

            // 's|'t|'re|'ve|'m|'ll|'d
            int contraction = Contraction(ref s, pos, ignoreCase: false);
            if (contraction > 0)
            {
                pos += contraction;
                Emit(ref s, ref prevEnd, pos, pieces);
                continue;
            }

            // ' ?\p{L}+' | ' ?\p{N}+' | ' ?[^\s\p{L}\p{N}]+'
            var cls = cp == ' ' ? s.Class(pos + 1) : s.Class(pos);
            if (cls is CharClass.Letter or CharClass.Number or CharClass.Other)
            {
                if (cp == ' ') pos++;
                while (s.Class(pos) == cls) pos++;
                Emit(ref s, ref prevEnd, pos, pieces);
                continue;
            }

            int run = 0;
            while (s.Class(pos + run) == CharClass.Space) run++;
            // \s+(?!\S)
            if (run > 1 && pos + run < n) pos += run - 1;
            // \s+
            else pos += Math.Max(run, 1);
            Emit(ref s, ref prevEnd, pos, pieces);
        }
    }
}
