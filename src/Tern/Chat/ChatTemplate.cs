using Tern.Chat.Jinja;
using Tern.Gguf;

namespace Tern.Chat;

/// <summary>
/// Turns a conversation into the exact text a model expects, from the model's own Jinja chat template
/// (<see cref="Name"/> = "jinja") or, when there is none or Tern cannot render it, from a built-in
/// <see cref="KnownChatFormats">known format</see> (<see cref="Name"/> = that format's name).
/// <para>
/// The rendering includes the BOS text when the template writes it; callers tokenize it with special tokens
/// enabled and add no BOS of their own when the text already starts with <see cref="BosToken"/>.
/// </para>
/// <para>
/// Prefix stability: callers re-render the whole conversation every turn and feed only the new suffix to a KV cache,
/// which is correct only when the previous rendering plus the generated reply (including its end-of-turn token) is a
/// prefix of the new rendering. All <see cref="KnownChatFormats"/> are prefix-stable in that sense, except
/// <see cref="KnownChatFormats.BitNetConverter"/> (EOS after the prompt) and formats that trim content (a reply with
/// surrounding whitespace renders trimmed). Jinja templates are prefix-stable unless they rewrite earlier turns
/// (Qwen3 and DeepSeek-R1 drop past &lt;think&gt; blocks) or insert the current date (LLaMA-3.2 via
/// <c>strftime_now</c>, which changes at midnight); special-casing the last message is harmless when the difference
/// comes after the turn's end token (Falcon3 writes "\n" after EOS only for non-final assistant turns).
/// Compare the token sequences and re-feed from the first difference when in doubt.
/// </para>
/// </summary>
public sealed class ChatTemplate
{
    /// <summary>A conversation every real template accepts (alternating, no system turn), rendered once at construction to catch templates Tern cannot run.</summary>
    private static readonly ChatTurn[] ProbeConversation = [new("user", "Hello"), new("assistant", "Hi!"), new("user", "How are you?")];

    private static readonly string[] EndOfTurnMarkers = ["<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>"];

    private readonly JinjaTemplate? _jinja;

    /// <summary>"jinja" when the template source is rendered, else the name of the known format used.</summary>
    public string Name { get; }
    /// <summary>Extra stop strings (turn terminators that are not the EOS token, next-turn headers); may be empty.</summary>
    public IReadOnlyList<string> StopStrings { get; }
    public string BosToken { get; }
    public string EosToken { get; }
    /// <summary>The Jinja source given (null when there was none).</summary>
    public string? JinjaSource { get; private init; }
    /// <summary>The known format the Jinja source resembles (see <see cref="KnownChatFormats.Detect"/>), or null.</summary>
    public string? DetectedFormat { get; private init; }
    /// <summary>Why the Jinja source is not used, when a fallback format was chosen because it failed to parse or render.</summary>
    public ChatTemplateException? TemplateError { get; }
    /// <summary>Clock for <c>strftime_now</c> in templates (local time).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <param name="jinjaSource">The model's chat template, or null.</param>
    /// <param name="bosToken">Text of the BOS token (<c>bos_token</c> in templates).</param>
    /// <param name="eosToken">Text of the EOS token (<c>eos_token</c> in templates).</param>
    /// <param name="fallbackFormat">A <see cref="KnownChatFormats"/> name used when <paramref name="jinjaSource"/> is null, empty, or cannot be parsed or rendered.
    /// Without it, a broken template falls back to the format <see cref="KnownChatFormats.Detect"/> recognises, else its error is thrown.</param>
    /// <exception cref="ChatTemplateException">The template is broken and no fallback applies.</exception>
    /// <exception cref="ArgumentException">Unknown <paramref name="fallbackFormat"/>, or neither a template nor a fallback.</exception>
    public ChatTemplate(string? jinjaSource, string bosToken, string eosToken, string? fallbackFormat = null)
    {
        ArgumentNullException.ThrowIfNull(bosToken);
        ArgumentNullException.ThrowIfNull(eosToken);
        if (fallbackFormat != null && !KnownChatFormats.IsKnown(fallbackFormat))
            throw new ArgumentException($"unknown chat format '{fallbackFormat}' (known: {string.Join(", ", KnownChatFormats.Names)})", nameof(fallbackFormat));
        BosToken = bosToken;
        EosToken = eosToken;
        JinjaSource = jinjaSource;
        DetectedFormat = KnownChatFormats.Detect(jinjaSource);

        if (!string.IsNullOrWhiteSpace(jinjaSource))
        {
            try
            {
                _jinja = JinjaTemplate.Parse(jinjaSource);
                Probe(_jinja);
            }
            catch (ChatTemplateException e)
            {
                _jinja = null;
                TemplateError = e;
                fallbackFormat ??= DetectedFormat;
                if (fallbackFormat == null) throw;
            }
        }
        if (_jinja != null)
        {
            Name = "jinja";
            StopStrings = JinjaStopStrings(jinjaSource!, DetectedFormat, eosToken);
        }
        else
        {
            Name = fallbackFormat ?? throw new ArgumentException("a chat template needs a Jinja source or a fallback format name", nameof(fallbackFormat));
            StopStrings = KnownChatFormats.StopStrings(Name);
        }
    }

    /// <summary>
    /// The chat template of a GGUF model: <c>tokenizer.chat_template</c>, with BOS/EOS texts from
    /// <c>tokenizer.ggml.tokens[bos_token_id / eos_token_id]</c>. Without a usable template the format comes from
    /// <see cref="KnownChatFormats.Detect"/> on the broken template, else from the architecture and vocabulary
    /// (<see cref="KnownChatFormats.ForModel"/>).
    /// <para>
    /// One deliberate exception: bitnet.cpp's converter writes a placeholder template ("Human: …\n\nBITNETAssistant: "
    /// followed by EOS) into 2B-4T GGUFs. The model was trained on Microsoft's "System: …&lt;|eot_id|&gt;User: …" format,
    /// which llama.cpp also substitutes for it, so that template is replaced by <see cref="KnownChatFormats.BitNetB158"/>
    /// (<see cref="DetectedFormat"/> still reports bitnet-converter). Use the constructor to render it verbatim.
    /// </para>
    /// </summary>
    public static ChatTemplate FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string? source = file.GetString("tokenizer.chat_template");
        var tokens = file.Has("tokenizer.ggml.tokens") ? file.GetArray<string>("tokenizer.ggml.tokens") : null;
        string bos = TokenText(tokens, file.GetInteger("tokenizer.ggml.bos_token_id"));
        string eos = TokenText(tokens, file.GetInteger("tokenizer.ggml.eos_token_id"));
        string? detected = KnownChatFormats.Detect(source);
        if (detected == KnownChatFormats.BitNetConverter)
            return new ChatTemplate(null, bos, eos, KnownChatFormats.BitNetB158) { JinjaSource = source, DetectedFormat = detected };
        string fallback = detected ?? KnownChatFormats.ForModel(file.GetString("general.architecture"), tokens);
        return new ChatTemplate(source, bos, eos, fallback);
    }

    private static string TokenText(string[]? tokens, long? id) =>
        tokens != null && id is long i && i >= 0 && i < tokens.Length ? tokens[i] : "";

    /// <summary>Renders the conversation. With <paramref name="addGenerationPrompt"/>, ends with the assistant-turn header the model continues from.</summary>
    /// <exception cref="ChatTemplateException">The template failed for these messages, e.g. <c>raise_exception("roles must alternate")</c> (see <see cref="ChatTemplateException.RaisedByTemplate"/>).</exception>
    public string Render(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt) => Render(messages, addGenerationPrompt, null);

    /// <summary>
    /// Renders with extra template variables (e.g. <c>date_string</c> for LLaMA-3.1, <c>enable_thinking</c> for Qwen3, <c>tools</c>):
    /// strings, numbers, bools, dictionaries with string keys, lists and <see cref="System.Text.Json.JsonElement"/>.
    /// Known formats ignore them.
    /// </summary>
    public string Render(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? variables)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (_jinja == null) return KnownChatFormats.Format(Name, messages, addGenerationPrompt, BosToken, EosToken);
        return RenderJinja(_jinja, messages, addGenerationPrompt, variables);
    }

    private string RenderJinja(JinjaTemplate template, IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? variables)
    {
        // The variables Hugging Face's apply_chat_template passes (tools/documents are None when not given).
        var values = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = messages.Select(m => JinjaValues.Import(m)).ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = BosToken,
            ["eos_token"] = EosToken,
            ["tools"] = null,
            ["documents"] = null,
        };
        if (variables != null)
        {
            foreach (var kv in variables) values[kv.Key] = JinjaValues.Import(kv.Value);
        }
        return template.Render(values, () => Clock.GetLocalNow().DateTime);
    }

    /// <summary>
    /// Fails on templates Tern parses but cannot run: an unsupported filter, test or method, or a limit breach.
    /// Other runtime errors and the template's own raise_exception are accepted: they may come from the probe
    /// lacking variables a caller would pass, and are reported when a real conversation is rendered.
    /// </summary>
    private void Probe(JinjaTemplate template)
    {
        try
        {
            RenderJinja(template, ProbeConversation, addGenerationPrompt: true, variables: null);
        }
        catch (ChatTemplateException e) when (e.Kind is ChatTemplateErrorKind.Runtime or ChatTemplateErrorKind.RaisedByTemplate)
        {
        }
    }

    private static IReadOnlyList<string> JinjaStopStrings(string source, string? detected, string eos)
    {
        var stops = new List<string>();
        if (detected != null) stops.AddRange(KnownChatFormats.StopStrings(detected));
        foreach (var marker in EndOfTurnMarkers)
        {
            if (source.Contains(marker, StringComparison.Ordinal)) stops.Add(marker);
        }
        return stops.Where(s => s != eos).Distinct().ToList();
    }
}
