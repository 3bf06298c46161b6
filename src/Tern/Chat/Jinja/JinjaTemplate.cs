namespace Tern.Chat.Jinja;

/// <summary>
/// A parsed Jinja template (the subset chat templates use), rendered with Hugging Face's settings:
/// trim_blocks and lstrip_blocks on, default Undefined, loop controls, immutable data.
/// Parse once, render any number of times; rendering is thread-safe (all state lives in the renderer).
/// </summary>
internal sealed class JinjaTemplate
{
    private readonly JinjaSource _source;
    private readonly IReadOnlyList<Stmt> _body;

    public JinjaLimits Limits { get; }

    private JinjaTemplate(JinjaSource source, IReadOnlyList<Stmt> body, JinjaLimits limits)
    {
        _source = source;
        _body = body;
        Limits = limits;
    }

    /// <exception cref="ChatTemplateException">Syntax errors and unsupported tags, with line and column.</exception>
    public static JinjaTemplate Parse(string text, JinjaLimits? limits = null)
    {
        limits ??= JinjaLimits.Default;
        var source = new JinjaSource(text);
        return new JinjaTemplate(source, JinjaParser.Parse(source, limits), limits);
    }

    /// <param name="variables">Template values already in template form (see <see cref="JinjaValues.Import"/>).</param>
    /// <param name="now">Local clock for <c>strftime_now</c>.</param>
    /// <exception cref="ChatTemplateException">Any runtime failure, including <c>raise_exception</c> and limit breaches.</exception>
    public string Render(IReadOnlyDictionary<string, object?> variables, Func<DateTime>? now = null)
    {
        try
        {
            return JinjaRenderer.Render(_source, _body, variables, Limits, now ?? (() => DateTime.Now));
        }
        catch (ChatTemplateException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug in the interpreter must still surface as a template failure the caller can handle (e.g. by falling back).
            throw new ChatTemplateException($"internal error while rendering: {e.GetType().Name}: {e.Message}", ChatTemplateErrorKind.Unsupported, inner: e);
        }
    }
}
