using System.Text.Json;
using Tern.Tokenizers;

namespace Tern.Dummy;

/// <summary>
/// Writes a byte-level BPE <see cref="TokenizerData"/> as Hugging Face's tokenizer.json and tokenizer_config.json (the
/// LLaMA-3 pre-tokenizer, control tokens as special added tokens), for dummy checkpoints.
/// </summary>
internal static class DummyHfTokenizerFiles
{
    private const string Llama3Split = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>A LLaMA-3-style template, so a converted dummy has one to carry.</summary>
    public const string ChatTemplate =
        "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] + '<|eot_id|>' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    public static void Write(string directory, TokenizerData t, bool mergesAsPairs)
    {
        using (var fs = File.Create(Path.Combine(directory, "tokenizer.json")))
        using (var j = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = false }))
        {
            j.WriteStartObject();
            j.WriteString("version", "1.0");
            j.WriteStartArray("added_tokens");
            for (int id = 0; id < t.Tokens.Length; id++)
            {
                if (t.TypeOf(id) is not (TokenType.Control or TokenType.UserDefined)) continue;
                j.WriteStartObject();
                j.WriteNumber("id", id);
                j.WriteString("content", t.Tokens[id]);
                j.WriteBoolean("special", t.TypeOf(id) == TokenType.Control);
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteStartObject("pre_tokenizer");
            j.WriteString("type", "Sequence");
            j.WriteStartArray("pretokenizers");
            j.WriteStartObject();
            j.WriteString("type", "Split");
            j.WriteStartObject("pattern");
            j.WriteString("Regex", Llama3Split);
            j.WriteEndObject();
            j.WriteString("behavior", "Isolated");
            j.WriteBoolean("invert", false);
            j.WriteEndObject();
            j.WriteStartObject();
            j.WriteString("type", "ByteLevel");
            j.WriteBoolean("add_prefix_space", false);
            j.WriteBoolean("use_regex", false);
            j.WriteEndObject();
            j.WriteEndArray();
            j.WriteEndObject();
            j.WriteStartObject("decoder");
            j.WriteString("type", "ByteLevel");
            j.WriteEndObject();
            j.WriteStartObject("model");
            j.WriteString("type", "BPE");
            j.WriteBoolean("ignore_merges", true);
            j.WriteStartObject("vocab");
            for (int id = 0; id < t.Tokens.Length; id++)
                if (t.TypeOf(id) is not (TokenType.Control or TokenType.UserDefined)) j.WriteNumber(t.Tokens[id], id);
            j.WriteEndObject();
            j.WriteStartArray("merges");
            foreach (string m in t.Merges ?? [])
            {
                if (!mergesAsPairs) { j.WriteStringValue(m); continue; }
                int space = m.IndexOf(' ');
                j.WriteStartArray();
                j.WriteStringValue(m[..space]);
                j.WriteStringValue(m[(space + 1)..]);
                j.WriteEndArray();
            }
            j.WriteEndArray();
            j.WriteEndObject();
            j.WriteEndObject();
        }
        using (var fs = File.Create(Path.Combine(directory, "tokenizer_config.json")))
        using (var j = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            j.WriteBoolean("add_bos_token", t.AddBos ?? true);
            j.WriteString("bos_token", t.Tokens[t.BosId]);
            j.WriteString("eos_token", t.Tokens[t.EosId]);
            j.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
            j.WriteString("chat_template", ChatTemplate);
            j.WriteEndObject();
        }
    }
}
