using System.Runtime.CompilerServices;
using System.Text;

namespace Tern.Chat.Jinja;

/// <summary>
/// Tree-walking evaluator. This file runs statements; <c>JinjaRenderer.Expressions.cs</c> evaluates expressions,
/// <c>JinjaOperators.cs</c> implements Python operators, <c>JinjaFilters.cs</c>/<c>JinjaTests.cs</c> the filters and
/// <c>is</c>-tests, <c>JinjaBuiltins.cs</c> global functions and string/dict methods.
/// Every statement, expression and loop iteration costs one step; steps, recursion depth and output length are
/// capped by <see cref="JinjaLimits"/>, so any template finishes (or fails with a <see cref="ChatTemplateException"/>) quickly.
/// </summary>
internal sealed partial class JinjaRenderer
{
    private enum Flow { Normal, Break, Continue }

    private readonly JinjaSource _source;
    private readonly JinjaLimits _limits;
    private readonly Func<DateTime> _now;
    private long _steps;
    private int _depth;
    private int _macroDepth;

    private JinjaRenderer(JinjaSource source, JinjaLimits limits, Func<DateTime> now)
    {
        _source = source;
        _limits = limits;
        _now = now;
    }

    /// <param name="now">Local time for <c>strftime_now</c>.</param>
    public static string Render(JinjaSource source, IReadOnlyList<Stmt> body, IReadOnlyDictionary<string, object?> variables, JinjaLimits limits, Func<DateTime> now)
    {
        var renderer = new JinjaRenderer(source, limits, now);
        var globals = new Scope(null);
        renderer.AddGlobals(globals);
        var root = new Scope(globals);
        foreach (var kv in variables) root.Set(kv.Key, kv.Value);
        var output = new StringBuilder();
        renderer.Execute(body, root, output);
        return output.ToString();
    }

    private void Step(int pos)
    {
        if (++_steps > _limits.MaxSteps)
            throw _source.Error(pos, $"rendering took more than {_limits.MaxSteps} steps (an endless or huge loop?)", ChatTemplateErrorKind.LimitExceeded);
    }

    /// <summary>Guards every recursive descent of the evaluator; the matching decrement is in a finally block.</summary>
    private void EnterDepth(int pos)
    {
        if (_depth >= _limits.MaxEvalDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw _source.Error(pos, $"template evaluation nested too deeply (more than {_limits.MaxEvalDepth} levels)", ChatTemplateErrorKind.LimitExceeded);
        _depth++;
    }

    private void Append(StringBuilder output, string text, int pos)
    {
        if ((long)output.Length + text.Length > _limits.MaxOutputChars)
            throw _source.Error(pos, $"rendered text would exceed {_limits.MaxOutputChars} characters", ChatTemplateErrorKind.LimitExceeded);
        output.Append(text);
    }

    private string CheckLength(string s)
    {
        if (s.Length > _limits.MaxOutputChars) throw new JinjaError($"string longer than {_limits.MaxOutputChars} characters", ChatTemplateErrorKind.LimitExceeded);
        return s;
    }

    private Flow Execute(IReadOnlyList<Stmt> body, Scope scope, StringBuilder output)
    {
        foreach (var stmt in body)
        {
            Step(stmt.Pos);
            Flow flow;
            EnterDepth(stmt.Pos);
            try
            {
                flow = ExecuteOne(stmt, scope, output);
            }
            catch (JinjaError e)
            {
                throw _source.Error(stmt.Pos, e.Message, e.Kind, e);
            }
            finally
            {
                _depth--;
            }
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private Flow ExecuteOne(Stmt stmt, Scope scope, StringBuilder output)
    {
        switch (stmt)
        {
            case TextStmt text:
                Append(output, text.Text, text.Pos);
                return Flow.Normal;
            case OutputStmt print:
                Append(output, JinjaValues.ToStr(Eval(print.Value, scope)), print.Pos);
                return Flow.Normal;
            case IfStmt branch:
                foreach (var (test, body) in branch.Branches)
                {
                    if (JinjaValues.IsTruthy(Eval(test, scope))) return Execute(body, scope, output);
                }
                return branch.Else == null ? Flow.Normal : Execute(branch.Else, scope, output);
            case ForStmt loop:
                return ExecuteFor(loop, scope, output);
            case SetStmt set:
                Assign(set.Target, Eval(set.Value, scope), scope);
                return Flow.Normal;
            case SetBlockStmt setBlock:
                var captured = new StringBuilder();
                Execute(setBlock.Body, new Scope(scope), captured);
                scope.Set(setBlock.Name, captured.ToString());
                return Flow.Normal;
            case MacroStmt macro:
                scope.Set(macro.Name, new JinjaMacro(macro, scope));
                return Flow.Normal;
            case WithStmt with:
                var inner = new Scope(scope);
                foreach (var (name, value) in with.Bindings) inner.Set(name, Eval(value, scope));
                return Execute(with.Body, inner, output);
            case BreakStmt:
                return Flow.Break;
            case ContinueStmt:
                return Flow.Continue;
            default:
                throw new JinjaError($"unsupported statement {stmt.GetType().Name}", ChatTemplateErrorKind.Unsupported);
        }
    }

    /// <summary>
    /// Each iteration runs in a fresh scope whose parent is the scope around the loop, so <c>{% set %}</c> inside the
    /// body does not leak out (Jinja's rule; templates use namespace() to carry values out). An inline
    /// <c>if</c> filter is applied first, so <c>loop.length</c>/<c>loop.last</c> count only the kept items.
    /// </summary>
    private Flow ExecuteFor(ForStmt loop, Scope scope, StringBuilder output)
    {
        var items = Iterate(Eval(loop.Iterable, scope));
        if (loop.Filter != null)
        {
            var kept = new List<object?>();
            foreach (var item in items)
            {
                Step(loop.Pos);
                var filterScope = new Scope(scope);
                Assign(loop.Target, item, filterScope);
                if (JinjaValues.IsTruthy(Eval(loop.Filter, filterScope))) kept.Add(item);
            }
            items = kept;
        }
        if (items.Count == 0)
            return loop.Else == null ? Flow.Normal : Execute(loop.Else, scope, output);
        const int depth0 = 0; // loop.depth counts recursive-loop levels only; recursive loops are not supported, nested loops are depth 1
        for (int i = 0; i < items.Count; i++)
        {
            Step(loop.Pos);
            var iteration = new Scope(scope);
            Assign(loop.Target, items[i], iteration);
            iteration.Set("loop", new LoopContext(items, i, depth0));
            if (Execute(loop.Body, iteration, output) == Flow.Break) break;
        }
        return Flow.Normal;
    }

    private void Assign(AssignTarget target, object? value, Scope scope)
    {
        switch (target)
        {
            case NameTarget name:
                scope.Set(name.Name, value);
                break;
            case TupleTarget tuple:
                var values = value is List<object?> or string or Dictionary<string, object?>
                    ? Iterate(value)
                    : throw new JinjaError($"cannot unpack non-iterable {JinjaValues.TypeName(value)} object");
                if (values.Count != tuple.Items.Count)
                    throw new JinjaError(values.Count > tuple.Items.Count
                        ? $"too many values to unpack (expected {tuple.Items.Count})"
                        : $"not enough values to unpack (expected {tuple.Items.Count}, got {values.Count})");
                for (int i = 0; i < values.Count; i++) Assign(tuple.Items[i], values[i], scope);
                break;
            case AttributeTarget attribute:
                if (!scope.TryGet(attribute.Object, out var obj) || obj is not JinjaNamespace ns)
                    throw new JinjaError($"cannot assign attribute on '{attribute.Object}': only namespace() objects support attribute assignment");
                ns.Attributes[attribute.Attribute] = value;
                break;
        }
    }

    private string CallMacro(JinjaMacro macro, Arguments args, int pos)
    {
        var definition = macro.Definition;
        if (_macroDepth >= _limits.MaxMacroDepth)
            throw _source.Error(pos, $"macro calls nested more than {_limits.MaxMacroDepth} deep (unbounded recursion?)", ChatTemplateErrorKind.LimitExceeded);
        if (args.Positional.Count > definition.Parameters.Count)
            throw new JinjaError($"macro '{definition.Name}' takes not more than {definition.Parameters.Count} argument(s)");
        var scope = new Scope(macro.Closure);
        foreach (var kv in args.Keyword)
        {
            if (!definition.Parameters.Any(p => p.Name == kv.Key))
                throw new JinjaError($"macro '{definition.Name}' has no parameter named '{kv.Key}'");
        }
        for (int i = 0; i < definition.Parameters.Count; i++)
        {
            var (name, defaultValue) = definition.Parameters[i];
            object? value = args.Has(i, name) ? args.Get(i, name)
                : defaultValue != null ? Eval(defaultValue, scope)
                : new Undefined($"parameter '{name}' was not provided");
            scope.Set(name, value);
        }
        _macroDepth++;
        try
        {
            var output = new StringBuilder();
            Execute(definition.Body, scope, output);
            return output.ToString();
        }
        finally
        {
            _macroDepth--;
        }
    }
}
