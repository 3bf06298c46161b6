namespace Tern.Chat.Jinja;

/// <summary>
/// Resource limits that keep a hostile or broken template from hanging the process, exhausting memory or
/// overflowing the stack. Every limit breach is a <see cref="ChatTemplateException"/>, never a crash.
/// The defaults are far above what real chat templates need (they nest a handful of levels deep and run
/// a few dozen steps per message).
/// </summary>
internal sealed record JinjaLimits
{
    public static readonly JinjaLimits Default = new();

    /// <summary>Nesting of blocks ({% if %} inside {% for %} ...) and of parenthesised/operator expressions while parsing.</summary>
    public int MaxParseDepth { get; init; } = 100;
    /// <summary>Recursion of the evaluator (expression depth plus macro calls).</summary>
    public int MaxEvalDepth { get; init; } = 400;
    /// <summary>Nested macro calls (a macro calling itself recursively).</summary>
    public int MaxMacroDepth { get; init; } = 40;
    /// <summary>Evaluation steps per render (each statement, expression node and loop iteration is one step).</summary>
    public long MaxSteps { get; init; } = 1_000_000;
    /// <summary>Length of the rendered output and of any single string built while rendering (16 Mi characters: millions of tokens).</summary>
    public int MaxOutputChars { get; init; } = 16 * 1024 * 1024;
    /// <summary>Length of any list built while rendering (by + or *).</summary>
    public int MaxListItems { get; init; } = 1_000_000;
    /// <summary>Largest <c>range(...)</c>, as in Jinja's sandbox (MAX_RANGE).</summary>
    public int MaxRange { get; init; } = 100_000;
}
