using Tern.Chat;
using static Tern.Tests.Chat.Jinja.JinjaTestSupport;

namespace Tern.Tests.Chat.Jinja;

/// <summary>
/// if/for/set/macro/with and Jinja's scoping rules. Expected strings come from Python Jinja2 3.1.6
/// rendered with transformers' settings.
/// </summary>
public class StatementTests
{
    private static readonly List<object?> Messages =
    [
        Dict(("role", "system"), ("content", " Be brief. ")),
        Dict(("role", "user"), ("content", "Hi")),
        Dict(("role", "assistant"), ("content", "Hello!")),
        Dict(("role", "user"), ("content", "Bye")),
    ];

    [Theory]
    [InlineData("{% for x in ['a','b','c'] %}{{ loop.index0 }}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }} {% endfor %}",
                "01TrueFalse332 12FalseFalse321 23FalseTrue310 ")]
    [InlineData("{% for x in [1,2,3] %}{{ loop.previtem }}-{{ loop.nextitem }}|{{ loop.cycle('o','e') }} {% endfor %}", "-2|o 1-3|e 2-|o ")]
    [InlineData("{% for x in [] %}x{% else %}empty{% endfor %}", "empty")]
    [InlineData("{% for x in range(10) if x is odd %}{{ x }}{{ ',' if not loop.last }}{% endfor %}", "1,3,5,7,9")]
    [InlineData("{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", "0134")]
    [InlineData("{% for i in range(2) %}{% for j in range(2) %}{{ loop.depth }}{{ i }}{{ j }} {% endfor %}{% endfor %}", "100 101 110 111 ")]
    [InlineData("{% for x in 'ab' %}{{ x }}.{% endfor %}{% for k in {'p': 1, 'q': 2} %}{{ k }}{% endfor %}", "a.b.pq")]
    [InlineData("{% for k, v in {'a': 1, 'b': 2} | items %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;")]
    public void ForLoops(string template, string expected)
    {
        Assert.Equal(expected, Render(template));
    }

    [Theory]
    // a set inside a loop body does not leak out, and each iteration starts from the outer value
    [InlineData("{% set x = 1 %}{% for i in [1,2] %}{% set x = x + i %}{{ x }}{% endfor %}|{{ x }}", "23|1")]
    // namespace() is how values escape a loop
    [InlineData("{% set ns = namespace(found=false, n=0) %}{% for i in [1,2,3] %}{% set ns.n = ns.n + i %}{% if i == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }} {{ ns.n }}", "True 6")]
    // if-blocks do not open a scope
    [InlineData("{% if true %}{% set y = 'set in if' %}{% endif %}{{ y }}", "set in if")]
    [InlineData("{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = (3, 4) %}{{ t[1] }}", "124")]
    [InlineData("{% set block %}inner {{ 1 + 1 }}{% endset %}[{{ block }}]", "[inner 2]")]
    [InlineData("{% with a = 5 %}{{ a }}{% endwith %}[{{ a }}]", "5[]")]
    public void SetAndScoping(string template, string expected)
    {
        Assert.Equal(expected, Render(template));
    }

    [Theory]
    [InlineData("{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', greeting='Hi') }} {{ greet('Cy', 'Yo') }}",
                "Hello, Ann! Hi, Bob! Yo, Cy!")]
    [InlineData("{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}", "321")]
    public void Macros(string template, string expected)
    {
        Assert.Equal(expected, Render(template));
    }

    [Theory]
    [InlineData("{% for m in messages %}{% if m.role == 'user' %}U:{{ m.content }}{% elif m['role'] == 'assistant' %}A:{{ m.content }}{% else %}S:{{ m.content | trim }}{% endif %}{% if not loop.last %}|{% endif %}{% endfor %}",
                "S:Be brief.|U:Hi|A:Hello!|U:Bye")]
    [InlineData("{% for m in messages[1:] %}{{ loop.index }}{{ m.role[0] }}{% endfor %}", "1u2a3u")]
    [InlineData("{%- for m in messages -%}\n  {%- if loop.first -%}\n    [{{ m.content }}]\n  {%- endif %}\n{% endfor -%}", "[ Be brief. ]")]
    public void MessageLoops(string template, string expected)
    {
        Assert.Equal(expected, Render(template, ("messages", Messages)));
    }

    [Fact]
    public void GenerationBlocksRenderTheirBody()
    {
        // transformers' AssistantTracker tag only marks assistant text for training masks.
        Assert.Equal("a-x-b", Render("a-{% generation %}x{% endgeneration %}-b"));
    }

    [Fact]
    public void AttributeAssignmentNeedsANamespace()
    {
        var e = Fails("{% set d = {'a': 1} %}{% set d.a = 2 %}");
        Assert.Contains("namespace", e.Message);
    }

    [Fact]
    public void UnpackingCountMismatchIsAnError()
    {
        Assert.Contains("unpack", Fails("{% for a, b in [[1, 2, 3]] %}{% endfor %}").Message);
    }

    [Fact]
    public void RaiseExceptionIsMarkedAsRaisedByTheTemplate()
    {
        var e = Fails("ok\n{{ raise_exception('Conversation roles must alternate') }}");
        Assert.True(e.RaisedByTemplate);
        Assert.Equal("Conversation roles must alternate", e.Reason);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void TemplatesCannotMutateInputs()
    {
        // As in HF's ImmutableSandboxedEnvironment, list.append does not exist.
        Assert.IsType<ChatTemplateException>(Fails("{% set l = [1] %}{{ l.append(2) }}"));
    }
}
