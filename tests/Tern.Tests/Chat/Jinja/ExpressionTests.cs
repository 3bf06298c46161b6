using Tern.Chat;
using static Tern.Tests.Chat.Jinja.JinjaTestSupport;

namespace Tern.Tests.Chat.Jinja;

/// <summary>
/// Operators, literals, indexing/slicing and string methods with Python semantics.
/// Expected strings come from Python Jinja2 3.1.6 (rendered as transformers configures it).
/// </summary>
public class ExpressionTests
{
    [Theory]
    [InlineData("{{ 1 + 2 * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 4 / 2 }} {{ 2 ** 10 }}", "7 3 -4 1 2 3.5 2.0 1024")]
    [InlineData("{{ 'a' ~ 1 ~ none ~ true }} {{ 'x' + 'y' }} {{ [1] + [2, 3] }}", "a1NoneTrue xy [1, 2, 3]")]
    [InlineData("{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'b' > 'a' }} {{ 1 == 1.0 }} {{ true == 1 }}", "True False True True True")]
    [InlineData("{{ 'ell' in 'hello' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'abc' }}", "True True True True")]
    [InlineData("{{ not 0 }} {{ 0 or 'x' }} {{ 'a' and 'b' }} {{ none or 0 }}", "True x b 0")]
    [InlineData("{{ 'yes' if 1 else 'no' }}|{{ 'yes' if 0 }}|{{ 1 if 0 else 2 if 0 else 3 }}", "yes||3")]
    [InlineData("{{ 'hello'[1:3] }} {{ 'hello'[::-1] }} {{ 'hello'[-1] }} {{ [1,2,3,4][1:] }} {{ [1,2,3,4][::2] }} {{ [1,2,3][-2:] }}", "el olleh o [2, 3, 4] [1, 3] [2, 3]")]
    [InlineData("{{ 3.0 }} {{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1.5e-7 }} {{ 123456789.125 }} {{ 10 / 3 }} {{ -0.0 }} {{ 1e16 }} {{ 1e15 }}", "3.0 0.30000000000000004 1e+20 1.5e-07 123456789.125 3.3333333333333335 -0.0 1e+16 1000000000000000.0")]
    [InlineData("{{ none }} {{ true }} {{ [1, 'a', none, true, 2.5] }} {{ {'a': 'it\\'s', 'b': [1]} }}", "None True [1, 'a', None, True, 2.5] {'a': \"it's\", 'b': [1]}")]
    [InlineData("{{ 'a' 'b' }} {{ \"q\\\"uote\" }} {{ 'tab\\tnew\\nline\\\\' }} {{ '\\u00e9\\x41' }}", "ab q\"uote tab\tnew\nline\\ éA")]
    public void OperatorsAndLiterals(string template, string expected)
    {
        Assert.Equal(expected, Render(template));
    }

    [Theory]
    [InlineData("{{ '  pad  '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ 'Hello'.startswith('He') }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'AbC'.lower() }}{{ 'abc'.upper() }}|{{ 'hello world'.title() }}|{{ 'aaa'.replace('a','b',2) }}",
                "pad|hi|True|['a', 'b', '', 'c']|['a', 'b']|abcABC|Hello World|bba")]
    [InlineData("{{ 'x'.startswith(('a','x')) }} {{ 'abc'.endswith('bc') }} {{ 'a-b-c'.rsplit('-', 1) }} {{ '{} and {}'.format(1, 'two') }} {{ ', '.join(['a','b']) }}",
                "True True ['a-b', 'c'] 1 and two a, b")]
    public void StringMethods(string template, string expected)
    {
        Assert.Equal(expected, Render(template));
    }

    [Fact]
    public void AttributeAndItemAccessOnDictsAndLists()
    {
        var d = Dict(("a", 1L), ("b", "two"), ("c", Dict(("e", new List<object?> { 1L, 2L }))));
        var l = new List<object?> { "x", "y" };
        Assert.Equal("1 two [1, 2] |x |x", Render("{{ d.a }} {{ d['b'] }} {{ d.c.e }} {{ d.missing }}|{{ l[0] }} {{ l[5] }}|{{ l.0 }}", ("d", d), ("l", l)));
    }

    [Fact]
    public void UndefinedBehavesLikeJinjaDefaultUndefined()
    {
        Assert.Equal("|False|dflt|e||0",
            Render("{{ undefined_var }}|{{ undefined_var is defined }}|{{ undefined_var | default('dflt') }}|{{ '' | default('e', true) }}|{% for x in undefined_var %}x{% endfor %}|{{ undefined_var | length }}"));
        Assert.Equal("", Render("{% if missing %}x{% endif %}{{ missing ~ '' }}"));
        // Jinja's default Undefined raises on arithmetic and on attribute access.
        Assert.Contains("'missing' is undefined", Fails("{{ missing + 1 }}").Message);
        Assert.Contains("'missing' is undefined", Fails("{{ missing.attr }}").Message);
    }

    [Fact]
    public void CodePointsNotUtf16Units()
    {
        Assert.Equal("2 🙂 a", Render("{{ s | length }} {{ s[1] }} {{ s[::-1][1] }}", ("s", "a🙂")));
    }

    [Fact]
    public void FilterBindsTighterThanPlus()
    {
        Assert.Equal("[x]", Render("{{ '[' + v | trim + ']' }}", ("v", "  x ")));
    }

    [Fact]
    public void CallingAMissingMethodIsReportedAsUnsupported()
    {
        var e = Fails("{{ 'x'.zfill(3) }}");
        Assert.Equal(ChatTemplateErrorKind.Unsupported, e.Kind);
        Assert.Contains("zfill", e.Reason);
    }

    [Fact]
    public void RuntimeErrorsCarryThePosition()
    {
        var e = Fails("line one\n{{ 1 + 'a' }}");
        Assert.Equal(2, e.Line);
        Assert.Contains("unsupported operand", e.Message);
        Assert.Contains("division by zero", Fails("{{ 1 / 0 }}").Message);
        Assert.Contains("not callable", Fails("{{ 'a'() }}").Message);
    }
}
