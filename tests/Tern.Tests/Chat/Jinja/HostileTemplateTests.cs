using System.Diagnostics;
using Tern.Chat;
using Tern.Chat.Jinja;
using static Tern.Tests.Chat.Jinja.JinjaTestSupport;

namespace Tern.Tests.Chat.Jinja;

/// <summary>
/// Broken and hostile templates must fail fast with a ChatTemplateException that says where and why —
/// never hang, exhaust memory or overflow the stack (which would kill the process).
/// </summary>
public class HostileTemplateTests
{
    private static ChatTemplateException FailsQuickly(string template)
    {
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<ChatTemplateException>(() => Render(template));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        return e;
    }

    [Theory]
    [InlineData("Hello {{ name", "unterminated tag", 1, 7)]
    [InlineData("a\n{% if x %}never closed", "never closed", 2, 4)]
    [InlineData("{% for m in messages %}{{ m }}", "never closed", 1, 4)]
    [InlineData("{# comment", "unterminated comment", 1, 1)]
    [InlineData("{{ 'abc }}", "unterminated string", 1, 4)]
    [InlineData("{% raw %}x", "endraw", 1, 1)]
    [InlineData("{{ (1 }}", "unexpected '}', expected ')'", 1, 7)]
    [InlineData("{{ ) }}", "unexpected ')'", 1, 4)]
    [InlineData("{% if %}{% endif %}", "expected an expression", 1, 7)]
    [InlineData("x{% endif %}", "without a matching opening tag", 1, 5)]
    [InlineData("{% call foo() %}{% endcall %}", "unsupported tag 'call'", 1, 4)]
    [InlineData("{{ 1 + }}", "expected an expression", 1, 8)]
    [InlineData("{{ 99999999999999999999 }}", "too large", 1, 4)]
    [InlineData("{% break %}", "outside of a for loop", 1, 4)]
    [InlineData("{{ a b }}", "expected '}}'", 1, 6)]
    [InlineData("{{ '\\x4' }}", "invalid \\x escape", 1, 5)]
    public void SyntaxErrorsNameTheProblemAndPosition(string template, string reason, int line, int column)
    {
        var e = FailsQuickly(template);
        Assert.Contains(reason, e.Reason);
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.Equal(reason.StartsWith("unsupported") ? ChatTemplateErrorKind.Unsupported : ChatTemplateErrorKind.Syntax, e.Kind);
    }

    public static TheoryData<string, string> DeepNesting => new()
    {
        { "{{ " + new string('(', 100_000) + "1" + new string(')', 100_000) + " }}", "nested too deeply" },
        { string.Concat(Enumerable.Repeat("{% if true %}", 20_000)), "nested too deeply" },
        { string.Concat(Enumerable.Repeat("{% for x in y %}", 20_000)), "nested too deeply" },
        { "{{ " + string.Concat(Enumerable.Repeat("not ", 100_000)) + "x }}", "nested too deeply" },
        { "{{ " + new string('-', 100_000) + "1 }}", "nested too deeply" },
        { "{{ " + string.Concat(Enumerable.Repeat("[", 100_000)) + " }}", "expected ']'" },
        // Left-associative chains parse without recursion but evaluate recursively: the evaluator's guard stops them.
        { "{{ 1" + string.Concat(Enumerable.Repeat(" + 1", 100_000)) + " }}", "nested too deeply" },
        { "{{ 'x'" + string.Concat(Enumerable.Repeat(" | trim", 100_000)) + " }}", "nested too deeply" },
        { "{{ 1 if 0 else" + string.Concat(Enumerable.Repeat(" 1 if 0 else", 100_000)) + " 2 }}", "nested too deeply" },
    };

    [Theory]
    [MemberData(nameof(DeepNesting))]
    public void DeepNestingIsRejectedWithoutStackOverflow(string template, string reason)
    {
        var e = FailsQuickly(template);
        Assert.Contains(reason, e.Reason);
        Assert.Equal(reason == "nested too deeply" ? ChatTemplateErrorKind.LimitExceeded : ChatTemplateErrorKind.Syntax, e.Kind);
    }

    [Theory]
    [InlineData("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "steps")]
    [InlineData("{{ range(1000000000) | length }}", "range too big")]
    [InlineData("{% set ns = namespace(s='ab') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "longer than")]
    [InlineData("{% set ns = namespace(l=[1]) %}{% for i in range(100) %}{% set ns.l = ns.l + ns.l %}{% endfor %}", "list too long")]
    [InlineData("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", "exceed")]
    [InlineData("{{ 'a' * 10000000000 }}", "longer than")]
    [InlineData("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "macro calls nested")]
    [InlineData("{{ 2 ** 100 }}", "integer overflow")]
    [InlineData("{{ 9223372036854775807 + 1 }}", "integer overflow")]
    public void RunawayRenderingIsStopped(string template, string reason)
    {
        var e = FailsQuickly(template);
        Assert.Contains(reason, e.Reason);
        Assert.Equal(reason == "integer overflow" ? ChatTemplateErrorKind.Runtime : ChatTemplateErrorKind.LimitExceeded, e.Kind);
    }

    [Fact]
    public void LimitsAreConfigurable()
    {
        var tight = JinjaLimits.Default with { MaxSteps = 50 };
        Assert.Equal("xxx", Render("{% for i in range(3) %}x{% endfor %}", tight));
        Assert.Throws<ChatTemplateException>(() => Render("{% for i in range(100) %}x{% endfor %}", tight));
    }
}
