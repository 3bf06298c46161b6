namespace Tern.Chat.Jinja;

/// <summary>
/// Template text after Jinja's own newline normalisation (\r\n and \r become \n; one trailing newline is
/// dropped, as with Jinja's default keep_trailing_newline=False), plus offset → line/column mapping for errors.
/// </summary>
internal sealed class JinjaSource
{
    public string Text { get; }

    public JinjaSource(string raw)
    {
        string text = raw.Contains('\r') ? raw.Replace("\r\n", "\n").Replace('\r', '\n') : raw;
        if (text.EndsWith('\n')) text = text[..^1];
        Text = text;
    }

    public (int Line, int Column) LineColumn(int offset)
    {
        offset = Math.Clamp(offset, 0, Text.Length);
        int line = 1, lineStart = 0;
        for (int i = 0; i < offset; i++)
        {
            if (Text[i] == '\n') { line++; lineStart = i + 1; }
        }
        return (line, offset - lineStart + 1);
    }

    public ChatTemplateException Error(int offset, string reason, ChatTemplateErrorKind kind = ChatTemplateErrorKind.Syntax, Exception? inner = null)
    {
        var (line, column) = LineColumn(offset);
        return new ChatTemplateException(reason, kind, line, column, inner);
    }
}
