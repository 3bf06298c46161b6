namespace Tern.Chat;

/// <summary>
/// A chat template could not be parsed or rendered: a syntax error, an unsupported construct, a runtime type error,
/// a resource limit (nesting, steps, output size) or a <c>raise_exception(...)</c> call in the template itself.
/// <see cref="Line"/> and <see cref="Column"/> (1-based) point into the template source when known (0 otherwise).
/// </summary>
public sealed class ChatTemplateException : Exception
{
    public int Line { get; }
    public int Column { get; }
    /// <summary>The message without the position prefix.</summary>
    public string Reason { get; }
    /// <summary>True when the template itself called <c>raise_exception(msg)</c> (e.g. "roles must alternate").</summary>
    public bool RaisedByTemplate { get; }

    public ChatTemplateException(string reason, int line = 0, int column = 0, bool raisedByTemplate = false, Exception? inner = null)
        : base(line > 0 ? $"chat template, line {line}, column {column}: {reason}" : $"chat template: {reason}", inner)
    {
        Reason = reason;
        Line = line;
        Column = column;
        RaisedByTemplate = raisedByTemplate;
    }
}
