namespace Tern.Chat.Jinja;

// Runtime objects that are not plain Python data (see JinjaValues for the data model and its operations).

/// <summary>Jinja's default Undefined: falsy, renders as "", iterates as empty, has length 0 and equals only another Undefined;
/// arithmetic, comparison, attribute access, item access and calls on it are errors that name the missing variable.</summary>
internal sealed class Undefined(string hint)
{
    /// <summary>Why it is undefined, e.g. "'foo' is undefined" or "'dict object' has no attribute 'x'".</summary>
    public string Hint { get; } = hint;
}

/// <summary>A <c>namespace(...)</c> object: the one kind of object whose attributes templates may assign (<c>{% set ns.x = 1 %}</c>),
/// which is how values escape a for-loop's scope.</summary>
internal sealed class JinjaNamespace
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}

/// <summary>The <c>loop</c> variable inside a for loop.</summary>
internal sealed class LoopContext(IReadOnlyList<object?> items, int index0, int depth0)
{
    public IReadOnlyList<object?> Items { get; } = items;
    public int Index0 { get; } = index0;
    public int Depth0 { get; } = depth0;
}

/// <summary>Arguments of a call, filter or test.</summary>
internal sealed class Arguments(List<object?> positional, List<KeyValuePair<string, object?>> keyword)
{
    public static readonly Arguments None = new([], []);

    public List<object?> Positional { get; } = positional;
    public List<KeyValuePair<string, object?>> Keyword { get; } = keyword;

    /// <summary>The argument at <paramref name="index"/>, else the keyword <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    public object? Get(int index, string name, object? fallback = null)
    {
        if (index >= 0 && index < Positional.Count) return Positional[index];
        foreach (var kv in Keyword)
        {
            if (kv.Key == name) return kv.Value;
        }
        return fallback;
    }

    public bool Has(int index, string name) =>
        (index >= 0 && index < Positional.Count) || Keyword.Exists(kv => kv.Key == name);

    /// <summary>Rejects extra positional arguments and unknown keywords, the way Python would.</summary>
    public void Check(string callee, int maxPositional, params string[] keywords)
    {
        if (Positional.Count > maxPositional)
            throw new JinjaError($"{callee}() takes at most {maxPositional} positional argument{(maxPositional == 1 ? "" : "s")} ({Positional.Count} given)");
        foreach (var kv in Keyword)
        {
            if (Array.IndexOf(keywords, kv.Key) < 0) throw new JinjaError($"{callee}() got an unexpected keyword argument '{kv.Key}'");
        }
    }
}

/// <summary>A built-in function or a bound method (<c>'abc'.upper</c>). Receives the call arguments.</summary>
internal sealed class JinjaFunction(string name, Func<Arguments, object?> invoke)
{
    public string Name { get; } = name;
    public object? Invoke(Arguments args) => invoke(args);
}

/// <summary>A macro defined with <c>{% macro %}</c>; <see cref="Closure"/> is the scope it was defined in.</summary>
internal sealed class JinjaMacro(MacroStmt definition, Scope closure)
{
    public MacroStmt Definition { get; } = definition;
    public Scope Closure { get; } = closure;
}

/// <summary>A runtime error without a position; the renderer attaches the position of the expression being evaluated.</summary>
internal sealed class JinjaError(string message, ChatTemplateErrorKind kind = ChatTemplateErrorKind.Runtime) : Exception(message)
{
    public ChatTemplateErrorKind Kind { get; } = kind;
}

/// <summary>A variable scope. Jinja gives each for-loop iteration, macro call and with-block its own scope; if-blocks share their parent's.</summary>
internal sealed class Scope(Scope? parent)
{
    // Most scopes (one per loop iteration) hold one or two names, so they start without a dictionary.
    private Dictionary<string, object?>? _variables;

    public Scope? Parent { get; } = parent;

    public bool TryGet(string name, out object? value)
    {
        for (var s = this; s != null; s = s.Parent)
        {
            if (s._variables != null && s._variables.TryGetValue(name, out value)) return true;
        }
        value = null;
        return false;
    }

    public void Set(string name, object? value) => (_variables ??= new(StringComparer.Ordinal))[name] = value;
}
