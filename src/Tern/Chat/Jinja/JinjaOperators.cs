using static Tern.Chat.Jinja.JinjaValues;

namespace Tern.Chat.Jinja;

/// <summary>Python operator semantics: int/float arithmetic (bool counts as int), str and list concatenation and repetition,
/// floor division and modulo rounding toward negative infinity, membership tests. Using Undefined in arithmetic is an error
/// (Jinja's default Undefined), but <c>~</c> renders it as "".</summary>
internal sealed partial class JinjaRenderer
{
    private object? Unary(string op, object? value)
    {
        if (op == "not") return !IsTruthy(value);
        if (value is Undefined undefined) throw new JinjaError(undefined.Hint);
        if (!IsNumber(value)) throw new JinjaError($"bad operand type for unary {op}: '{TypeName(value)}'");
        if (op == "+") return value is bool b ? (b ? 1L : 0L) : value;
        return value is double d ? -d : Checked(() => checked(-ToLong(value)));
    }

    private object? Binary(string op, object? a, object? b)
    {
        if (op == "~") return CheckLength(ToStr(a) + ToStr(b));
        if (a is Undefined ua) throw new JinjaError(ua.Hint);
        if (b is Undefined ub) throw new JinjaError(ub.Hint);
        return op switch
        {
            "+" => Add(a, b),
            "-" => Arithmetic(op, a, b, (x, y) => checked(x - y), (x, y) => x - y),
            "*" => Multiply(a, b),
            "/" => IsNumber(a) && IsNumber(b)
                ? (ToDouble(b) == 0 ? throw new JinjaError("division by zero") : ToDouble(a) / ToDouble(b))
                : throw Unsupported(op, a, b),
            "//" => Arithmetic(op, a, b, FloorDivide, (x, y) => y == 0 ? throw new JinjaError("float floor division by zero") : Math.Floor(x / y)),
            "%" => a is string
                ? throw new JinjaError("printf-style string formatting ('%') is not supported; use '~' or format()", ChatTemplateErrorKind.Unsupported)
                : Arithmetic(op, a, b, Modulo, FloatModulo),
            "**" => Arithmetic(op, a, b, IntegerPower, Math.Pow),
            _ => throw new JinjaError($"unknown operator '{op}'"),
        };
    }

    private static JinjaError Unsupported(string op, object? a, object? b) =>
        new($"unsupported operand type(s) for {op}: '{TypeName(a)}' and '{TypeName(b)}'");

    private static object Checked(Func<long> compute)
    {
        try
        {
            return compute();
        }
        catch (OverflowException)
        {
            throw new JinjaError("integer overflow");
        }
    }

    private static object? Arithmetic(string op, object? a, object? b, Func<long, long, long> integer, Func<double, double, double> real)
    {
        if (!IsNumber(a) || !IsNumber(b)) throw Unsupported(op, a, b);
        if (a is double || b is double) return real(ToDouble(a), ToDouble(b));
        return Checked(() => integer(ToLong(a), ToLong(b)));
    }

    private object? Add(object? a, object? b)
    {
        if (a is string sa && b is string sb) return CheckLength(sa + sb);
        if (a is List<object?> la && b is List<object?> lb)
        {
            if ((long)la.Count + lb.Count > _limits.MaxListItems) throw new JinjaError($"list too long (more than {_limits.MaxListItems} items)", ChatTemplateErrorKind.LimitExceeded);
            return new List<object?>([.. la, .. lb]);
        }
        return Arithmetic("+", a, b, (x, y) => checked(x + y), (x, y) => x + y);
    }

    private object? Multiply(object? a, object? b)
    {
        if (a is long or bool && b is string or List<object?>) (a, b) = (b, a);
        if (a is string s && b is long or bool)
        {
            long n = Math.Max(0, ToLong(b));
            if (n * s.Length > _limits.MaxOutputChars) throw new JinjaError($"string longer than {_limits.MaxOutputChars} characters", ChatTemplateErrorKind.LimitExceeded);
            return string.Concat(Enumerable.Repeat(s, (int)n));
        }
        if (a is List<object?> list && b is long or bool)
        {
            long n = Math.Max(0, ToLong(b));
            if (n * list.Count > _limits.MaxListItems) throw new JinjaError($"list too long (more than {_limits.MaxListItems} items)", ChatTemplateErrorKind.LimitExceeded);
            var result = new List<object?>();
            for (long i = 0; i < n; i++) result.AddRange(list);
            return result;
        }
        return Arithmetic("*", a, b, (x, y) => checked(x * y), (x, y) => x * y);
    }

    private static long FloorDivide(long x, long y)
    {
        if (y == 0) throw new JinjaError("integer division or modulo by zero");
        long q = checked(x / y);
        return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q;
    }

    private static long Modulo(long x, long y)
    {
        if (y == 0) throw new JinjaError("integer division or modulo by zero");
        if (y == -1) return 0;
        long r = x % y;
        return r != 0 && (r < 0) != (y < 0) ? r + y : r;
    }

    private static double FloatModulo(double x, double y)
    {
        if (y == 0) throw new JinjaError("float modulo");
        double r = x % y;
        return r != 0 && (r < 0) != (y < 0) ? r + y : r;
    }

    private static long IntegerPower(long x, long y)
    {
        if (y < 0) throw new JinjaError("negative integer powers are not supported; use a float base");
        long result = 1;
        while (y > 0)
        {
            if ((y & 1) != 0) result = checked(result * x);
            y >>= 1;
            if (y > 0) x = checked(x * x);
        }
        return result;
    }

    private bool CompareOp(string op, object? a, object? b) => op switch
    {
        "==" => AreEqual(a, b),
        "!=" => !AreEqual(a, b),
        "<" => Compare(a, b, op) < 0,
        "<=" => Compare(a, b, op) <= 0,
        ">" => Compare(a, b, op) > 0,
        ">=" => Compare(a, b, op) >= 0,
        "in" => Contains(b, a),
        "notin" => !Contains(b, a),
        _ => throw new JinjaError($"unknown comparison '{op}'"),
    };

    /// <summary>Python <c>item in container</c>: substring for str, element for list, key for dict; Undefined contains nothing.</summary>
    private static bool Contains(object? container, object? item) => container switch
    {
        string s => item is string sub ? s.Contains(sub, StringComparison.Ordinal) : throw new JinjaError($"'in <string>' requires string as left operand, not {TypeName(item)}"),
        List<object?> list => list.Exists(x => AreEqual(x, item)),
        Dictionary<string, object?> dict => item is string key && dict.ContainsKey(key),
        Undefined => false,
        _ => throw new JinjaError($"argument of type '{TypeName(container)}' is not iterable"),
    };

    /// <summary>What a for loop iterates: list items, string characters, dict keys; Undefined is empty.</summary>
    private static List<object?> Iterate(object? value) => value switch
    {
        List<object?> list => list,
        string s => PyString.Characters(s),
        Dictionary<string, object?> dict => dict.Keys.Cast<object?>().ToList(),
        Undefined => [],
        _ => throw new JinjaError($"'{TypeName(value)}' object is not iterable"),
    };

    private static long Length(object? value) => value switch
    {
        string s => PyString.Length(s),
        List<object?> list => list.Count,
        Dictionary<string, object?> dict => dict.Count,
        Undefined => 0,
        _ => throw new JinjaError($"object of type '{TypeName(value)}' has no len()"),
    };
}
