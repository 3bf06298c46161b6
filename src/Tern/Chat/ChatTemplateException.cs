namespace Tern.Chat;

/// <summary>What kind of failure a <see cref="ChatTemplateException"/> reports.</summary>
public enum ChatTemplateErrorKind
{
    /// <summary>The template is malformed (unterminated tag, bad expression, unclosed block…).</summary>
    Syntax,
    /// <summary>The template uses a Jinja or Python feature Tern does not implement (a filter, test, tag or method).</summary>
    Unsupported,
    /// <summary>Rendering failed: undefined variable used in arithmetic, type error, division by zero…</summary>
    Runtime,
    /// <summary>A safety limit was hit: nesting depth, evaluation steps, output or value size, range length.</summary>
    LimitExceeded,
    /// <summary>The template called <c>raise_exception(msg)</c> itself (e.g. "Conversation roles must alternate…").</summary>
    RaisedByTemplate,
}

/// <summary>
/// A chat template could not be parsed or rendered. <see cref="Line"/> and <see cref="Column"/> (1-based) point into the
/// template source when known (0 otherwise); <see cref="Reason"/> is the message without the position.
/// </summary>
public sealed class ChatTemplateException : Exception
{
    public ChatTemplateErrorKind Kind { get; }
    public int Line { get; }
    public int Column { get; }
    public string Reason { get; }
    /// <summary>True when the template itself called <c>raise_exception(msg)</c>; <see cref="Reason"/> is its message.</summary>
    public bool RaisedByTemplate => Kind == ChatTemplateErrorKind.RaisedByTemplate;

    public ChatTemplateException(string reason, ChatTemplateErrorKind kind, int line = 0, int column = 0, Exception? inner = null)
        : base(line > 0 ? $"chat template, line {line}, column {column}: {reason}" : $"chat template: {reason}", inner)
    {
        Reason = reason;
        Kind = kind;
        Line = line;
        Column = column;
    }
}
