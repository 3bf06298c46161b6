using static Tern.Tests.Chat.Jinja.JinjaTestSupport;

namespace Tern.Tests.Chat.Jinja;

/// <summary>
/// Whitespace handling under Hugging Face's Jinja settings (trim_blocks, lstrip_blocks, '-' and '+' modifiers,
/// newline normalisation). Expected strings were produced by Python Jinja2 3.1.6 configured as transformers does
/// (ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])).
/// </summary>
public class WhitespaceControlTests
{
    [Theory]
    // trim_blocks eats the newline after %}; lstrip_blocks eats indentation before {%; one trailing newline is dropped
    [InlineData("{% if true %}\n  yes\n{% endif %}\n", "  yes\n")]
    [InlineData("line1\n    {% if true %}\n    x\n    {% endif %}\nline2", "line1\n    x\nline2")]
    // '-' strips all whitespace on its side, newlines included
    [InlineData("a  {%- if true -%}  b  {%- endif -%}  c", "abc")]
    [InlineData("{{- ' a ' -}}\n\n{{- 'b' }}", " a b")]
    // '}}' is not trimmed by trim_blocks
    [InlineData("{{ 'a' }}\n{{ 'b' }}\n", "a\nb")]
    // comments vanish, with the same whitespace rules as blocks
    [InlineData("x {# comment #}\ny\n  {#- c2 -#}  z", "x yz")]
    // '+' disables lstrip_blocks / trim_blocks for that tag
    [InlineData("  {%+ if true %}k{% endif +%}\nq", "  k\nq")]
    [InlineData("{% raw %}{{ not parsed }}{% endraw %}", "{{ not parsed }}")]
    // \r\n in the template source becomes \n
    [InlineData("a\r\nb{% if true %}\r\nc{% endif %}\r\n", "a\nbc")]
    public void MatchesJinjaWithHuggingFaceSettings(string template, string expected)
    {
        Assert.Equal(expected, Render(template));
    }

    [Fact]
    public void LstripOnlyAppliesAtLineStart()
    {
        // Text before the tag on the same line keeps its trailing spaces.
        Assert.Equal("a   b", Render("a   {% if true %}b{% endif %}"));
        // After a tag that consumed the newline (trim_blocks), the next line's indentation counts as line start.
        Assert.Equal("x", Render("{% if true %}\n   {% if true %}x{% endif %}{% endif %}"));
    }

    [Fact]
    public void TagEndsInsideStringsAndBracketsDoNotEndTheTag()
    {
        Assert.Equal("%} }}", Render("{{ '%} }}' }}"));
        Assert.Equal("{'a': {'b': 1}}", Render("{{ {'a': {'b': 1}} }}"));
    }
}
