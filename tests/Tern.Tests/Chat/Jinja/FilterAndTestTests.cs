using static Tern.Tests.Chat.Jinja.JinjaTestSupport;

namespace Tern.Tests.Chat.Jinja;

/// <summary>Filters and is-tests. Expected strings come from Python Jinja2 3.1.6 with transformers' tojson.</summary>
public class FilterAndTestTests
{
    private static readonly List<object?> Messages =
    [
        Dict(("role", "system"), ("content", " Be brief. ")),
        Dict(("role", "user"), ("content", "Hi")),
        Dict(("role", "assistant"), ("content", "Hello!")),
        Dict(("role", "user"), ("content", "Bye")),
    ];

    [Theory]
    [InlineData("{{ '  x  ' | trim }}|{{ 'ab' | upper }}|{{ 'AB' | lower }}|{{ 'hELLO wORLD' | capitalize }}|{{ \"they're here-now\" | title }}|{{ 42 | string }}|{{ [1,2] | length }}|{{ 'abc' | count }}",
                "x|AB|ab|Hello world|They're Here-Now|42|2|3")]
    [InlineData("{{ [3,1,2] | first }}{{ [3,1,2] | last }}{{ 'xyz' | first }}|{{ [] | first }}|{{ ['a','b'] | join(', ') }}|{{ [1,2] | join }}|{{ 'a-b' | replace('-', '+') }}|{{ [1,2,3] | reverse | list }}|{{ 'abc' | reverse }}",
                "32x||a, b|12|a+b|[3, 2, 1]|cba")]
    [InlineData("{{ [1,2,3,4] | select('odd') | list }} {{ [1,2,3,4] | reject('even') | list }} {{ [0, 1, '', 'a'] | select | list }} {{ ['a','b'] | map('upper') | list }}",
                "[1, 3] [1, 3] [1, 'a'] ['A', 'B']")]
    [InlineData("{{ [3,1,2] | sort | list }} {{ ['b','A','c'] | sort }} {{ ['b','A','c'] | sort(case_sensitive=true) }} {{ [3,1,2] | sort(reverse=true) }}",
                "[1, 2, 3] ['A', 'b', 'c'] ['A', 'b', 'c'] [3, 2, 1]")]
    [InlineData("{{ [1,2,2,'a','A'] | unique | list }} {{ [4,2,9] | max }} {{ [4,2,9] | min }} {{ [1,2,3] | sum }} {{ '12' | int + 1 }} {{ 'x' | int }} {{ '2.5' | float }} {{ -3 | abs }} {{ 2.567 | round(2) }} {{ 2.5 | round }} {{ 2.1 | round(method='ceil') }}",
                "[1, 2, 'a'] 9 2 6 13 0 2.5 3 2.57 2.0 3.0")]
    [InlineData("{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent(width=2, blank=true) }}", "a\n  b\n\n  c|  a\n  b|a\n  \n  b")]
    [InlineData("{{ '%s is %d' | format('x', 3) }} {{ '<a&b>' | e }} {{ 'one two  three' | wordcount }} {{ x | default('d') }} {{ none | default('d') }}", "x is 3 &lt;a&amp;b&gt; 3 d None")]
    [InlineData("{{ range(3) | list }} {{ range(1, 10, 3) | list }} {{ range(5, 0, -2) | list }} {{ dict(a=1) }} {{ namespace(a=1).a }}", "[0, 1, 2] [1, 4, 7] [5, 3, 1] {'a': 1} 1")]
    public void Filters(string template, string expected)
    {
        Assert.Equal(expected, Render(template));
    }

    [Theory]
    [InlineData("{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }}|{{ messages | rejectattr('role', 'equalto', 'user') | list | length }}|{{ messages | selectattr('role', '==', 'system') | list | length }}",
                "Hi,Bye|2|1")]
    [InlineData("{{ messages | sort(attribute='role') | map(attribute='role') | list }}", "['assistant', 'system', 'user', 'user']")]
    public void FiltersOverMessages(string template, string expected)
    {
        Assert.Equal(expected, Render(template, ("messages", Messages)));
    }

    [Fact]
    public void ToJsonMatchesTransformers()
    {
        // transformers: json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)
        Assert.Equal("{\"b\": 1, \"a\": [1, \"x\", null, true, 1.5]}|\"é\\\"\\n\"",
            Render("{{ {'b': 1, 'a': [1, 'x', none, true, 1.5]} | tojson }}|{{ 'é\"\\n' | tojson }}"));
        Assert.Equal("{\"a\": 2, \"b\": 1} [] {} [\n 1,\n [\n  2,\n  3\n ]\n]",
            Render("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }} {{ [] | tojson(indent=4) }} {{ {} | tojson }} {{ [1,[2,3]] | tojson(indent=1) }}"));
        var tool = Dict(("type", "function"), ("function", Dict(("name", "get_weather"), ("parameters", Dict(("required", new List<object?> { "city" }))))));
        Assert.Equal("[\n  {\n    \"type\": \"function\",\n    \"function\": {\n      \"name\": \"get_weather\",\n      \"parameters\": {\n        \"required\": [\n          \"city\"\n        ]\n      }\n    }\n  }\n]",
            Render("{{ tools | tojson(indent=2) }}", ("tools", new List<object?> { tool })));
    }

    [Fact]
    public void DictMethodsAndItems()
    {
        var d = Dict(("a", 1L), ("b", 2L));
        Assert.Equal("1 dz None ['a', 'b'] [1, 2] 2", Render("{{ d.get('a') }} {{ d.get('z', 'dz') }} {{ d.get('z') }} {{ d.keys() | list }} {{ d.values() | list }} {{ d | length }}", ("d", d)));
        Assert.Equal("a1b2|a=1,b=2", Render("{% for k, v in d.items() %}{{ k }}{{ v }}{% endfor %}|{{ d | dictsort | map('join', '=') | join(',') }}", ("d", d)));
    }

    [Theory]
    [InlineData("{{ none is none }} {{ 1 is none }} {{ 'a' is string }} {{ 1 is string }} {{ {} is mapping }} {{ [] is mapping }} {{ 'a' is iterable }} {{ 1 is iterable }} {{ u is iterable }} {{ 3 is number }} {{ 3 is integer }} {{ 3.0 is float }} {{ true is boolean }} {{ false is false }} {{ 0 is false }}",
                "True False True False True False True False True True True True True True False")]
    [InlineData("{{ 4 is divisibleby 2 }} {{ 3 is divisibleby(2) }} {{ 1 is equalto 1 }} {{ 'x' is in ['x'] }} {{ false is sameas false }} {{ 0 is sameas false }} {{ 'A' is upper }} {{ range is callable }} {{ x is not defined }} {{ 2 is gt 1 }} {{ 2 is lt 1 }}",
                "True False True True True False True True True True False")]
    public void Tests(string template, string expected)
    {
        Assert.Equal(expected, Render(template));
    }

    [Fact]
    public void StrftimeNowUsesTheInjectedClock()
    {
        Assert.Equal("07 Mar 2025|2025-03-07 14:05:09 Friday March 066 02PM",
            Render("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S %A %B %j %I%p') }}"));
    }

    [Fact]
    public void UnknownFilterOrTestIsAClearError()
    {
        Assert.Contains("unknown filter 'frobnicate'", Fails("{{ 1 | frobnicate }}").Message);
        Assert.Contains("unknown test 'frobnicated'", Fails("{{ 1 is frobnicated }}").Message);
    }
}
