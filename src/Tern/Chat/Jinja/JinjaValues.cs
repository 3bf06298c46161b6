using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tern.Chat.Jinja;

// Runtime values follow Python's data model, because templates are written against Python Jinja:
//   None → null, bool → bool, int → long, float → double, str → string,
//   list/tuple → List<object?>, dict → Dictionary<string, object?> (insertion-ordered, string keys only),
//   plus the Jinja-specific Undefined, namespace(), loop and callables in JinjaRuntimeTypes.cs.

internal static class JinjaValues
{
    public static bool IsTruthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> list => list.Count > 0,
        Dictionary<string, object?> dict => dict.Count > 0,
        _ => true,
    };

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        Dictionary<string, object?> => "dict",
        JinjaNamespace => "Namespace",
        LoopContext => "LoopContext",
        JinjaMacro => "Macro",
        JinjaFunction => "function",
        _ => v.GetType().Name,
    };

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static double ToDouble(object? v) => v switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new JinjaError($"expected a number, got {TypeName(v)}"),
    };

    /// <summary>Python's <c>str(v)</c>; Undefined renders as the empty string.</summary>
    public static string ToStr(object? v) => v switch
    {
        string s => s,
        Undefined => "",
        null => "None",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        _ => Repr(v),
    };

    /// <summary>Python's <c>repr(v)</c> (used for values inside lists and dicts).</summary>
    public static string Repr(object? v)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, v, 0);
        return sb.ToString();
    }

    private static void AppendRepr(StringBuilder sb, object? v, int depth)
    {
        if (depth > 64) throw new JinjaError("value nested too deeply to print", ChatTemplateErrorKind.LimitExceeded);
        switch (v)
        {
            case string s: AppendStringRepr(sb, s); break;
            case List<object?> list:
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    AppendRepr(sb, list[i], depth + 1);
                }
                sb.Append(']');
                break;
            case Dictionary<string, object?> dict:
                sb.Append('{');
                bool first = true;
                foreach (var kv in dict)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    AppendStringRepr(sb, kv.Key);
                    sb.Append(": ");
                    AppendRepr(sb, kv.Value, depth + 1);
                }
                sb.Append('}');
                break;
            case JinjaNamespace ns:
                sb.Append("<Namespace ");
                AppendRepr(sb, new Dictionary<string, object?>(ns.Attributes), depth + 1);
                sb.Append('>');
                break;
            case JinjaMacro m: sb.Append("<Macro '").Append(m.Definition.Name).Append("'>"); break;
            case JinjaFunction f: sb.Append("<built-in function ").Append(f.Name).Append('>'); break;
            case LoopContext: sb.Append("<LoopContext>"); break;
            case Undefined: sb.Append("Undefined"); break;
            default: sb.Append(ToStr(v)); break;
        }
    }

    private static void AppendStringRepr(StringBuilder sb, string s)
    {
        char quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(quote);
        foreach (char c in s)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '\n': sb.Append(@"\n"); break;
                case '\r': sb.Append(@"\r"); break;
                case '\t': sb.Append(@"\t"); break;
                default:
                    if (c == quote) sb.Append('\\').Append(c);
                    else if (c < 0x20 || c == 0x7F) sb.Append(@"\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append(quote);
    }

    /// <summary>Python's float repr: shortest round-trip digits, positional for exponents in [-4, 16), always with a '.' or exponent.</summary>
    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        string r = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        int exponent = 0;
        int e = r.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..e];
        }
        int dot = r.IndexOf('.');
        string digits = dot < 0 ? r : r.Remove(dot, 1);
        int point = (dot < 0 ? r.Length : dot) + exponent; // digits[0..point) are the integer part
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') lead++;
        digits = digits[lead..];
        point -= lead;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        int sci = point - 1;
        var sb = new StringBuilder();
        if (d < 0) sb.Append('-');
        if (sci is >= -4 and < 16)
        {
            if (point <= 0) sb.Append("0.").Append('0', -point).Append(digits);
            else if (point >= digits.Length) sb.Append(digits).Append('0', point - digits.Length).Append(".0");
            else sb.Append(digits, 0, point).Append('.').Append(digits, point, digits.Length - point);
        }
        else
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(sci < 0 ? '-' : '+').Append(Math.Abs(sci).ToString("00", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>Python <c>==</c>.</summary>
    public static bool AreEqual(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a) == ToDouble(b);
            return ToLong(a) == ToLong(b);
        }
        switch (a)
        {
            case string sa: return b is string sb && sa == sb;
            case List<object?> la:
                if (b is not List<object?> lb || la.Count != lb.Count) return false;
                for (int i = 0; i < la.Count; i++)
                {
                    if (!AreEqual(la[i], lb[i])) return false;
                }
                return true;
            case Dictionary<string, object?> da:
                if (b is not Dictionary<string, object?> db || da.Count != db.Count) return false;
                foreach (var kv in da)
                {
                    if (!db.TryGetValue(kv.Key, out var other) || !AreEqual(kv.Value, other)) return false;
                }
                return true;
        }
        return ReferenceEquals(a, b);
    }

    public static long ToLong(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new JinjaError($"expected an integer, got {TypeName(v)}"),
    };

    /// <summary>Python ordering (&lt;) for numbers, strings and lists; anything else is a TypeError.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (a is Undefined ua) throw new JinjaError(ua.Hint);
        if (b is Undefined ub) throw new JinjaError(ub.Hint);
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a).CompareTo(ToDouble(b));
            return ToLong(a).CompareTo(ToLong(b));
        }
        if (a is string sa && b is string sb) return string.CompareOrdinal(sa, sb);
        if (a is List<object?> la && b is List<object?> lb)
        {
            for (int i = 0; i < Math.Min(la.Count, lb.Count); i++)
            {
                if (!AreEqual(la[i], lb[i])) return Compare(la[i], lb[i], op);
            }
            return la.Count.CompareTo(lb.Count);
        }
        throw new JinjaError($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    /// <summary>
    /// Converts a .NET value handed in by the caller (extra template variables) into a template value:
    /// numbers, strings, bools, dictionaries with string keys, sequences, <see cref="JsonElement"/> and <see cref="ChatTurn"/>.
    /// </summary>
    public static object? Import(object? v, int depth = 0)
    {
        if (depth > 64) throw new ArgumentException("chat template variable nested too deeply");
        switch (v)
        {
            case null: return null;
            case string or bool or long or double: return v;
            case int or short or sbyte or byte or ushort or uint: return Convert.ToInt64(v, CultureInfo.InvariantCulture);
            case ulong ul: return ul <= long.MaxValue ? (long)ul : (double)ul;
            case float or decimal: return Convert.ToDouble(v, CultureInfo.InvariantCulture);
            case ChatTurn turn: return new Dictionary<string, object?> { ["role"] = turn.Role, ["content"] = turn.Content };
            case JsonElement json: return ImportJson(json, depth);
            case IDictionary dict:
                var result = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (DictionaryEntry entry in dict)
                {
                    if (entry.Key is not string key) throw new ArgumentException("chat template dictionaries must have string keys");
                    result[key] = Import(entry.Value, depth + 1);
                }
                return result;
            case IEnumerable sequence:
                var list = new List<object?>();
                foreach (var item in sequence)
                {
                    // IReadOnlyDictionary<string, T> enumerates KeyValuePairs; IDictionary covers the common dictionary types above.
                    list.Add(Import(item, depth + 1));
                }
                return list;
        }
        throw new ArgumentException($"a chat template variable of type {v.GetType().Name} is not supported");
    }

    private static object? ImportJson(JsonElement json, int depth) => json.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => json.GetString(),
        JsonValueKind.Number => json.TryGetInt64(out long l) ? l : (object)json.GetDouble(), // not `? l : double`, which would widen l to double
        JsonValueKind.Array => json.EnumerateArray().Select(e => Import(e, depth + 1)).ToList(),
        _ => json.EnumerateObject().ToDictionary(p => p.Name, p => Import(p.Value, depth + 1), StringComparer.Ordinal),
    };
}
