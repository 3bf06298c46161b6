namespace Tern.Chat.Jinja;

internal sealed partial class JinjaRenderer
{
    private object? Eval(Expr expr, Scope scope)
    {
        Step(expr.Pos);
        EnterDepth(expr.Pos);
        try
        {
            return EvalCore(expr, scope);
        }
        catch (JinjaError e)
        {
            throw _source.Error(expr.Pos, e.Message, e.Kind, e);
        }
        finally
        {
            _depth--;
        }
    }

    private object? EvalCore(Expr expr, Scope scope)
    {
        switch (expr)
        {
            case LiteralExpr literal:
                return literal.Value;
            case NameExpr name:
                return scope.TryGet(name.Name, out var value) ? value : new Undefined($"'{name.Name}' is undefined");
            case ListExpr list:
                return list.Items.Select(i => Eval(i, scope)).ToList();
            case TupleExpr tuple:
                return tuple.Items.Select(i => Eval(i, scope)).ToList();
            case DictExpr dict:
                var result = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, v) in dict.Items)
                {
                    if (Eval(k, scope) is not string key) throw new JinjaError("dictionary keys must be strings");
                    result[key] = Eval(v, scope);
                }
                return result;
            case AttributeExpr attribute:
                return GetAttribute(Eval(attribute.Object, scope), attribute.Name);
            case ItemExpr item:
                return GetItem(Eval(item.Object, scope), Eval(item.Index, scope));
            case SliceExpr slice:
                return Slice(Eval(slice.Object, scope), SliceBound(slice.Start, scope), SliceBound(slice.Stop, scope), SliceBound(slice.Step, scope));
            case CallExpr call:
                return Call(Eval(call.Callee, scope), EvalArguments(call.Args, call.Kwargs, scope), call.Pos);
            case FilterExpr filter:
                return ApplyFilter(filter.Name, Eval(filter.Operand, scope), EvalArguments(filter.Args, filter.Kwargs, scope));
            case TestExpr test:
                var operand = Eval(test.Operand, scope);
                var testArgs = test.Args.Select(a => Eval(a, scope)).ToList();
                return RunTest(test.Name, operand, testArgs) != test.Negated;
            case UnaryExpr unary:
                return Unary(unary.Op, Eval(unary.Operand, scope));
            case BinaryExpr binary:
                return Binary(binary.Op, Eval(binary.Left, scope), Eval(binary.Right, scope));
            case LogicalExpr logical:
                var left = Eval(logical.Left, scope);
                return JinjaValues.IsTruthy(left) == logical.IsAnd ? Eval(logical.Right, scope) : left;
            case CompareExpr compare:
                var a = Eval(compare.First, scope);
                foreach (var (op, operandExpr) in compare.Rest)
                {
                    var b = Eval(operandExpr, scope);
                    if (!CompareOp(op, a, b)) return false;
                    a = b;
                }
                return true;
            case ConditionalExpr conditional:
                if (JinjaValues.IsTruthy(Eval(conditional.Test, scope))) return Eval(conditional.Then, scope);
                return conditional.Otherwise == null ? new Undefined("the conditional expression has no else branch") : Eval(conditional.Otherwise, scope);
            default:
                throw new JinjaError($"unsupported expression {expr.GetType().Name}", ChatTemplateErrorKind.Unsupported);
        }
    }

    private Arguments EvalArguments(IReadOnlyList<Expr> args, IReadOnlyList<(string Name, Expr Value)> kwargs, Scope scope)
    {
        if (args.Count == 0 && kwargs.Count == 0) return Arguments.None;
        return new Arguments(
            args.Select(a => Eval(a, scope)).ToList(),
            kwargs.Select(k => new KeyValuePair<string, object?>(k.Name, Eval(k.Value, scope))).ToList());
    }

    private long? SliceBound(Expr? expr, Scope scope)
    {
        if (expr == null) return null;
        return Eval(expr, scope) switch
        {
            null => null,
            long l => l,
            bool b => b ? 1 : 0,
            var v => throw new JinjaError($"slice indices must be integers or None, not {JinjaValues.TypeName(v)}"),
        };
    }

    private object? Call(object? callee, Arguments args, int pos) => callee switch
    {
        JinjaFunction function => function.Invoke(args),
        JinjaMacro macro => CallMacro(macro, args, pos),
        // Calling something undefined is a missing function or method: unsupported here (or a template HF cannot run either).
        Undefined undefined => throw new JinjaError($"{undefined.Hint}, so it cannot be called", ChatTemplateErrorKind.Unsupported),
        _ => throw new JinjaError($"'{JinjaValues.TypeName(callee)}' object is not callable"),
    };

    /// <summary><c>obj.name</c> as Jinja does it: Python attribute (a method) first, then <c>obj[name]</c>, else Undefined.</summary>
    private object? GetAttribute(object? obj, string name)
    {
        switch (obj)
        {
            case Undefined undefined:
                throw new JinjaError(undefined.Hint);
            case Dictionary<string, object?> dict:
                if (DictMethod(dict, name) is { } dictMethod) return dictMethod;
                return dict.TryGetValue(name, out var value) ? value : new Undefined($"'dict object' has no attribute '{name}'");
            case string s:
                return (object?)StringMethod(s, name) ?? new Undefined($"'str object' has no attribute '{name}'");
            case JinjaNamespace ns:
                return ns.Attributes.TryGetValue(name, out var nsValue) ? nsValue : new Undefined($"namespace has no attribute '{name}'");
            case LoopContext loop:
                return LoopAttribute(loop, name);
            default:
                return new Undefined($"'{JinjaValues.TypeName(obj)} object' has no attribute '{name}'");
        }
    }

    /// <summary><c>obj[key]</c> as Jinja does it: item first, then attribute, else Undefined (out-of-range indexes are Undefined, not errors).</summary>
    private object? GetItem(object? obj, object? key)
    {
        if (obj is Undefined undefined) throw new JinjaError(undefined.Hint);
        if (key is long or bool)
        {
            long index = JinjaValues.ToLong(key);
            switch (obj)
            {
                case List<object?> list:
                    if (index < 0) index += list.Count;
                    return index >= 0 && index < list.Count ? list[(int)index] : new Undefined($"list index {JinjaValues.ToLong(key)} out of range");
                case string s:
                    var chars = PyString.Characters(s);
                    if (index < 0) index += chars.Count;
                    return index >= 0 && index < chars.Count ? chars[(int)index] : new Undefined($"string index {JinjaValues.ToLong(key)} out of range");
            }
        }
        if (obj is Dictionary<string, object?> dict)
        {
            if (key is string k && dict.TryGetValue(k, out var value)) return value;
            return new Undefined($"'dict object' has no attribute '{JinjaValues.ToStr(key)}'");
        }
        if (key is string name) return GetAttribute(obj, name);
        return new Undefined($"'{JinjaValues.TypeName(obj)} object' has no element {JinjaValues.Repr(key)}");
    }

    private object? Slice(object? obj, long? start, long? stop, long? step)
    {
        switch (obj)
        {
            case Undefined undefined:
                throw new JinjaError(undefined.Hint);
            case List<object?> list:
                return PyString.SliceIndices(list.Count, start, stop, step).Select(i => list[i]).ToList();
            case string s:
                if (step is null or 1 && s.Length == PyString.Length(s))
                {
                    var range = PyString.SliceIndices(s.Length, start, stop, 1);
                    return range.Count == 0 ? "" : s.Substring(range[0], range.Count);
                }
                var chars = PyString.Characters(s);
                return string.Concat(PyString.SliceIndices(chars.Count, start, stop, step).Select(i => (string)chars[i]!));
            default:
                throw new JinjaError($"'{JinjaValues.TypeName(obj)}' object is not subscriptable");
        }
    }

    private static object? LoopAttribute(LoopContext loop, string name)
    {
        int n = loop.Items.Count, i = loop.Index0;
        return name switch
        {
            "index" => (long)(i + 1),
            "index0" => (long)i,
            "revindex" => (long)(n - i),
            "revindex0" => (long)(n - i - 1),
            "first" => i == 0,
            "last" => i == n - 1,
            "length" => (long)n,
            "previtem" => i > 0 ? loop.Items[i - 1] : new Undefined("there is no previous item"),
            "nextitem" => i < n - 1 ? loop.Items[i + 1] : new Undefined("there is no next item"),
            "depth" => (long)(loop.Depth0 + 1),
            "depth0" => (long)loop.Depth0,
            "cycle" => new JinjaFunction("loop.cycle", args =>
                args.Positional.Count == 0 ? throw new JinjaError("no items for cycling given") : args.Positional[i % args.Positional.Count]),
            _ => new Undefined($"'loop' has no attribute '{name}'"),
        };
    }
}
