using System.Text;
using Tern.Chat.Jinja;

namespace Tern.Chat;

/// <summary>
/// Hand-written formatters for the chat formats Tern's models use, selectable by name, plus heuristics (in the
/// spirit of llama.cpp's <c>llm_chat_detect_template</c>) that recognise which of them a Jinja template implements.
/// They are the fallback when a model has no <c>tokenizer.chat_template</c> or one Tern cannot render. Each formatter
/// reproduces the named template's output, so a Jinja rendering and a fallback rendering of the same conversation agree.
/// </summary>
public static class KnownChatFormats
{
    /// <summary>
    /// BitNet b1.58 2B-4T as trained (Microsoft's tokenizer_config.json):
    /// <c>{bos}System: {system}&lt;|eot_id|&gt;User: {user}&lt;|eot_id|&gt;Assistant: {assistant}&lt;|eot_id|&gt;…Assistant: </c>.
    /// Roles are capitalised, contents trimmed; BOS precedes the first message only.
    /// </summary>
    public const string BitNetB158 = "bitnet-b1.58";

    /// <summary>Meta's LLaMA-3 format: <c>{bos}&lt;|start_header_id|&gt;{role}&lt;|end_header_id|&gt;\n\n{content trimmed}&lt;|eot_id|&gt;…</c>, generation prompt <c>&lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n</c>.</summary>
    public const string Llama3 = "llama3";

    /// <summary>ChatML (Qwen and others): <c>&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n</c>, generation prompt <c>&lt;|im_start|&gt;assistant\n</c>; no BOS.</summary>
    public const string ChatML = "chatml";

    /// <summary>
    /// Falcon3 (tiiuae Falcon3-*-Instruct's template without tools): <c>&lt;|system|&gt;\n{system}\n&lt;|user|&gt;\n{user}\n&lt;|assistant|&gt;\n{assistant}{eos}\n…</c>,
    /// generation prompt <c>&lt;|assistant|&gt;\n</c>. (llama.cpp's built-in falcon3 formatter omits the EOS after assistant turns; the template writes it.)
    /// </summary>
    public const string Falcon3 = "falcon3";

    /// <summary>
    /// The placeholder template bitnet.cpp's <c>convert-ms-to-gguf-bitnet.py</c> writes into 2B-4T GGUFs, reproduced exactly:
    /// <c>{bos}Human: {user}\n\nBITNETAssistant: {eos}{assistant}{eos}Human: …</c> — system messages are dropped and the
    /// "BITNETAssistant: " prompt (with the EOS after it) follows every user turn regardless of addGenerationPrompt.
    /// The model was not trained on it; <see cref="ChatTemplate.FromGguf"/> uses <see cref="BitNetB158"/> instead.
    /// </summary>
    public const string BitNetConverter = "bitnet-converter";

    public static IReadOnlyList<string> Names { get; } = [BitNetB158, Llama3, ChatML, Falcon3, BitNetConverter];

    public static bool IsKnown(string name) => Names.Contains(name);

    /// <summary>Renders <paramref name="messages"/> in the named format.</summary>
    /// <exception cref="ArgumentException">Unknown format name.</exception>
    public static string Format(string name, IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, string bosToken, string eosToken)
    {
        var sb = new StringBuilder();
        switch (name)
        {
            case BitNetB158:
                for (int i = 0; i < messages.Count; i++)
                {
                    if (i == 0) sb.Append(bosToken);
                    sb.Append(PyString.Capitalize(messages[i].Role)).Append(": ").Append(messages[i].Content.PyTrim()).Append("<|eot_id|>");
                }
                if (addGenerationPrompt) sb.Append("Assistant: ");
                break;
            case Llama3:
                for (int i = 0; i < messages.Count; i++)
                {
                    if (i == 0) sb.Append(bosToken);
                    sb.Append("<|start_header_id|>").Append(messages[i].Role).Append("<|end_header_id|>\n\n")
                      .Append(messages[i].Content.PyTrim()).Append("<|eot_id|>");
                }
                if (addGenerationPrompt) sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
                break;
            case ChatML:
                foreach (var m in messages) sb.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
                if (addGenerationPrompt) sb.Append("<|im_start|>assistant\n");
                break;
            case Falcon3:
                for (int i = 0; i < messages.Count; i++)
                {
                    var m = messages[i];
                    sb.Append("<|").Append(m.Role).Append("|>\n").Append(m.Content);
                    if (m.Role == "assistant")
                    {
                        sb.Append(eosToken);
                        if (i < messages.Count - 1) sb.Append('\n');
                    }
                    else sb.Append('\n');
                }
                if (addGenerationPrompt) sb.Append("<|assistant|>\n");
                break;
            case BitNetConverter:
                for (int i = 0; i < messages.Count; i++)
                {
                    if (i == 0) sb.Append(bosToken);
                    if (messages[i].Role == "user") sb.Append("Human: ").Append(messages[i].Content).Append("\n\nBITNETAssistant: ").Append(eosToken);
                    else if (messages[i].Role == "assistant") sb.Append(messages[i].Content).Append(eosToken);
                }
                break;
            default:
                throw new ArgumentException($"unknown chat format '{name}' (known: {string.Join(", ", Names)})", nameof(name));
        }
        return sb.ToString();
    }

    /// <summary>
    /// Strings that end an assistant turn in the named format besides the model's EOS token: turn terminators that are not
    /// the GGUF's EOS (2B-4T's EOS is &lt;|end_of_text|&gt; but turns end with &lt;|eot_id|&gt;) and the next turn's header.
    /// </summary>
    public static IReadOnlyList<string> StopStrings(string name) => name switch
    {
        BitNetB158 => ["<|eot_id|>"],
        Llama3 => ["<|eot_id|>"],
        ChatML => ["<|im_end|>"],
        Falcon3 => ["<|user|>"],
        BitNetConverter => ["\n\nHuman:"],
        _ => throw new ArgumentException($"unknown chat format '{name}'", nameof(name)),
    };

    /// <summary>
    /// Which known format a Jinja template implements, judged by distinctive substrings (first match wins), or null.
    /// A template that is just a format name ("chatml") names that format, as in llama.cpp.
    /// <list type="number">
    /// <item>"BITNETAssistant" → bitnet-converter</item>
    /// <item>"&lt;|im_start|&gt;" → chatml</item>
    /// <item>"&lt;|start_header_id|&gt;" and "&lt;|end_header_id|&gt;" → llama3</item>
    /// <item>"&lt;|eot_id|&gt;" and "Assistant: " → bitnet-b1.58</item>
    /// <item>"&lt;|assistant|&gt;", "&lt;|user|&gt;" and a newline (not EOS) after user content → falcon3 (Zephyr, which puts EOS there, is not matched)</item>
    /// </list>
    /// </summary>
    public static string? Detect(string? jinjaSource)
    {
        if (string.IsNullOrWhiteSpace(jinjaSource)) return null;
        string t = jinjaSource.Trim();
        if (IsKnown(t)) return t;
        bool Has(string s) => t.Contains(s, StringComparison.Ordinal);
        if (Has("BITNETAssistant")) return BitNetConverter;
        if (Has("<|im_start|>")) return ChatML;
        if (Has("<|start_header_id|>") && Has("<|end_header_id|>")) return Llama3;
        if (Has("<|eot_id|>") && Has("Assistant: ")) return BitNetB158;
        if (Has("<|assistant|>") && Has("<|user|>") && (Has("message['content'] + '\\n'") || Has("message.content + '\\n'"))) return Falcon3;
        return null;
    }

    /// <summary>
    /// The format to use for a model without a usable template, from its architecture and vocabulary:
    /// BitNet architectures with the LLaMA-3 vocabulary → bitnet-b1.58; LLaMA-3 header tokens → llama3;
    /// ChatML tokens → chatml; Falcon3 role tokens → falcon3; otherwise chatml (llama.cpp's default as well).
    /// </summary>
    public static string ForModel(string? architecture, IReadOnlyCollection<string>? vocabulary)
    {
        var tokens = vocabulary as ISet<string> ?? new HashSet<string>(vocabulary ?? [], StringComparer.Ordinal);
        bool isBitNet = architecture?.StartsWith("bitnet", StringComparison.OrdinalIgnoreCase) == true;
        if (tokens.Contains("<|eot_id|>"))
        {
            if (isBitNet) return BitNetB158;
            if (tokens.Contains("<|start_header_id|>")) return Llama3;
        }
        if (tokens.Contains("<|im_start|>") && tokens.Contains("<|im_end|>")) return ChatML;
        if (tokens.Contains("<|assistant|>") && tokens.Contains("<|user|>")) return Falcon3;
        return ChatML;
    }

    /// <summary>Jinja's trim (Python's str.strip()), so the formatters trim exactly what the templates trim.</summary>
    private static string PyTrim(this string s) => PyString.Strip(s, null, left: true, right: true);
}
