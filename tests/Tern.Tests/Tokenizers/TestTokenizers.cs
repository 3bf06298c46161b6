using Tern.Gguf;
using Tern.Tests.TestSupport;
using Tern.Tokenizers;

namespace Tern.Tests.Tokenizers;

/// <summary>The real vocabularies from ../shared, built once and shared by the tests (tokenizers are immutable).</summary>
internal static class TestTokenizers
{
    private static readonly Lazy<Tokenizer> s_llama3 = new(() => Load(Llama3GgufPath));
    private static readonly Lazy<Tokenizer> s_llama2 = new(() => Load(Llama2GgufPath));

    /// <summary>LLaMA-3 (128256 tokens) from bitnet.cpp's 2B-4T metadata: "gpt2", no tokenizer.ggml.pre.</summary>
    public static Tokenizer Llama3 => s_llama3.Value;

    /// <summary>LLaMA-2 SentencePiece (32000 tokens) from llama.cpp's vocabulary-only GGUF.</summary>
    public static Tokenizer Llama2 => s_llama2.Value;

    public static string Llama3GgufPath => SharedData.PathOf("oracle", "tokenizers", "llama3", "bitnet-2b4t-vocab.gguf");
    public static string Llama2GgufPath => SharedData.PathOf("oracle", "tokenizers", "llama2", "ggml-vocab-llama-spm.gguf");

    private static Tokenizer Load(string path)
    {
        using var file = GgufFile.Open(path); // the metadata arrays are managed copies, so the file can close
        return Tokenizer.FromGguf(file);
    }

    /// <summary>Texts for round trips: scripts, emoji (incl. ZWJ sequences and flags), astral letters, whitespace runs, code.</summary>
    public static readonly string[] VariedTexts =
    [
        "Hello world",
        "",
        " ",
        "   leading and trailing   ",
        "\n\n\ttabs\r\nCRLF\r\n",
        "naïve café résumé Führer",
        "日本語のテキストです。",
        "中文文本，标点符号。",
        "한국어 텍스트",
        "Русский текст, ещё",
        "Ελληνικά κείμενα",
        "العربية והעברית",
        "ក្ដីស្រឡាញ់ Khmer",
        "emoji 😀🎉 family 👩‍👩‍👧 flag 🇺🇸 ✅",
        "math 𝐀𝐁𝐂 𝟙𝟚𝟛 and 𠀀𠀁",
        "code: for (int i = 0; i < n; i++) { x += y[i]; }",
        "numbers 1234567 3.14159 1e-9 ١٢٣",
        "zero\u200bwidth and\u00a0nbsp\u3000ideographic space",
        "'s 'S 'll 'LL 're 'VE I'm don't",
        "literal <|eot_id|> and <s></s><unk>",
        "🙂",
    ];
}
