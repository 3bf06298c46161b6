using Tern.Chat;
using Tern.Gguf;
using Tern.Tokenizers;

namespace Tern.Cli.Commands;

/// <summary>
/// Which chat template `tern chat` uses: --chat-template NAME (a known format, or "plain") or FILE (a Jinja
/// template), else the model's. A model without a template whose guessed format needs special tokens its vocabulary
/// lacks (a TinyStories model has no &lt;|im_start|&gt;) gets the plain format instead, and the user is told.
/// </summary>
internal sealed record ChatTemplateChoice(ChatTemplate Template, string Name, IReadOnlyList<string> StopStrings, string? Note)
{
    public const string PlainName = "plain";

    /// <summary>"User: …\nAssistant: …\n": nothing but text, so any vocabulary can write it; a reply ends at the next "\nUser:".</summary>
    private const string PlainJinja =
        "{% for m in messages %}{{ m['role'] | capitalize }}: {{ m['content'] | trim }}\n{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}";

    private static readonly string[] PlainStops = ["\nUser:", "\nSystem:"];

    public static IEnumerable<string> Names => KnownChatFormats.Names.Append(PlainName);

    public static ChatTemplateChoice For(string? arg, GgufFile file, Tokenizer tokenizer)
    {
        var model = ChatTemplate.FromGguf(file);
        if (arg is not null) return Given(arg, model);
        if (model.TemplateError is { } e)
            return new(model, model.Name, model.StopStrings, $"the file's template could not be used ({e.Message}); using {model.Name}");
        bool hasTemplate = !string.IsNullOrWhiteSpace(file.GetString("tokenizer.chat_template"));
        if (!hasTemplate && model.StopStrings.Any(s => tokenizer.FindToken(s) is null))
            return Plain(model, $"the model has no chat template and its vocabulary lacks {model.Name}'s tokens; using the plain User:/Assistant: format");
        return new(model, model.Name, model.StopStrings, hasTemplate ? null : $"the model has no chat template; using {model.Name}");
    }

    /// <summary>Refuses a --chat-template that is neither a format name nor a file, before the model is loaded.</summary>
    public static void Check(string? arg)
    {
        if (arg is null || Names.Contains(arg)) return;
        if (Directory.Exists(arg)) throw new UserError($"--chat-template {arg} is a directory; give a Jinja file or one of {string.Join(", ", Names)}");
        if (!File.Exists(arg)) throw new UserError($"--chat-template '{arg}' is neither a known format ({string.Join(", ", Names)}) nor a file");
    }

    private static ChatTemplateChoice Given(string arg, ChatTemplate model)
    {
        Check(arg);
        if (arg == PlainName) return Plain(model, null);
        if (KnownChatFormats.IsKnown(arg))
        {
            var known = new ChatTemplate(null, model.BosToken, model.EosToken, arg);
            return new(known, arg, known.StopStrings, null);
        }
        var jinja = new ChatTemplate(File.ReadAllText(arg), model.BosToken, model.EosToken);
        return new(jinja, Path.GetFileName(arg), jinja.StopStrings, null);
    }

    private static ChatTemplateChoice Plain(ChatTemplate model, string? note) =>
        new(new ChatTemplate(PlainJinja, model.BosToken, model.EosToken), PlainName, PlainStops, note);
}
