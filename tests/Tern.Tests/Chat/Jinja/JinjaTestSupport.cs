using Tern.Chat;
using Tern.Chat.Jinja;

namespace Tern.Tests.Chat.Jinja;

/// <summary>Renders a template string with HF-style settings and a fixed clock (2025-03-07 14:05:09 local).</summary>
internal static class JinjaTestSupport
{
    public static readonly DateTime FixedNow = new(2025, 3, 7, 14, 5, 9);

    public static string Render(string template, params (string Name, object? Value)[] variables) =>
        Render(template, JinjaLimits.Default, variables);

    public static string Render(string template, JinjaLimits limits, params (string Name, object? Value)[] variables)
    {
        var values = variables.ToDictionary(v => v.Name, v => JinjaValues.Import(v.Value));
        return JinjaTemplate.Parse(template, limits).Render(values, () => FixedNow);
    }

    public static ChatTemplateException Fails(string template, params (string Name, object? Value)[] variables) =>
        Assert.Throws<ChatTemplateException>(() => Render(template, variables));

    public static Dictionary<string, object?> Dict(params (string Key, object? Value)[] items) =>
        items.ToDictionary(i => i.Key, i => i.Value);
}
