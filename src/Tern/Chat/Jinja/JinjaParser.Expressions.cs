namespace Tern.Chat.Jinja;

/// <summary>
/// Expressions, lowest precedence first (as in Jinja 3's parser):
/// conditional (<c>a if b else c</c>) → <c>or</c> → <c>and</c> → <c>not</c> → comparisons (<c>== != &lt; &lt;= &gt; &gt;= in not in</c>)
/// → <c>+ -</c> → <c>~</c> → <c>* / // %</c> → <c>**</c> → unary <c>- +</c> → primary with postfix (<c>.attr [i] [a:b] (args)</c>)
/// followed by filters (<c>| f(args)</c>) and tests (<c>is [not] t(args)</c>).
/// Filters therefore bind tighter than <c>+</c>: <c>'a' + x | trim</c> trims only <c>x</c>.
/// </summary>
internal sealed partial class JinjaParser
{
    private static readonly HashSet<string> NotATestArgument = ["and", "or", "else", "if", "in", "is", "not"];

    /// <summary>An expression, or an unparenthesised tuple <c>a, b</c> (Jinja's parse_tuple).</summary>
    private Expr ParseTuple(bool withCondExpr = true, string[]? extraEnd = null, bool explicitParentheses = false)
    {
        int pos = Current.Position;
        var items = new List<Expr>();
        bool isTuple = false;
        while (true)
        {
            if (items.Count > 0) ExpectOperator(",");
            if (IsTupleEnd(extraEnd)) break;
            items.Add(withCondExpr ? ParseExpression() : ParseOr());
            if (Current.IsOperator(",")) isTuple = true;
            else break;
        }
        if (!isTuple)
        {
            if (items.Count > 0) return items[0];
            if (!explicitParentheses) throw Unexpected("an expression");
        }
        return new TupleExpr(pos, items);
    }

    private bool IsTupleEnd(string[]? extraEnd)
    {
        var t = Current;
        return t.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd or TokenKind.Eof
            || t.IsOperator(")")
            || (extraEnd != null && t.Kind == TokenKind.Name && extraEnd.Contains(t.Text));
    }

    private Expr ParseExpression() => ParseConditional();

    private Expr ParseConditional()
    {
        var expr = ParseOr();
        while (Current.IsName("if"))
        {
            int pos = Advance().Position;
            var test = ParseOr();
            Expr? otherwise = null;
            if (Current.IsName("else"))
            {
                Advance();
                Enter(pos);
                otherwise = ParseConditional();
                Leave();
            }
            expr = new ConditionalExpr(pos, test, expr, otherwise);
        }
        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            int pos = Advance().Position;
            left = new LogicalExpr(pos, IsAnd: false, left, ParseAnd());
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            int pos = Advance().Position;
            left = new LogicalExpr(pos, IsAnd: true, left, ParseNot());
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (!Current.IsName("not")) return ParseCompare();
        int pos = Advance().Position;
        Enter(pos);
        var operand = ParseNot();
        Leave();
        return new UnaryExpr(pos, "not", operand);
    }

    private Expr ParseCompare()
    {
        var first = ParseAdditive();
        List<(string, Expr)>? rest = null;
        while (true)
        {
            var t = Current;
            string op;
            if (t.Kind == TokenKind.Operator && t.Text is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                op = t.Text;
                Advance();
            }
            else if (t.IsName("in"))
            {
                op = "in";
                Advance();
            }
            else if (t.IsName("not") && PeekAt(1).IsName("in"))
            {
                op = "notin";
                Advance();
                Advance();
            }
            else break;
            (rest ??= []).Add((op, ParseAdditive()));
        }
        return rest == null ? first : new CompareExpr(first.Pos, first, rest);
    }

    private Expr ParseAdditive()
    {
        var left = ParseConcat();
        while (Current.IsOperator("+") || Current.IsOperator("-"))
        {
            var op = Advance();
            left = new BinaryExpr(op.Position, op.Text, left, ParseConcat());
        }
        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMultiplicative();
        while (Current.IsOperator("~"))
        {
            var op = Advance();
            left = new BinaryExpr(op.Position, "~", left, ParseMultiplicative());
        }
        return left;
    }

    private Expr ParseMultiplicative()
    {
        var left = ParsePower();
        while (Current.Kind == TokenKind.Operator && Current.Text is "*" or "/" or "//" or "%")
        {
            var op = Advance();
            left = new BinaryExpr(op.Position, op.Text, left, ParsePower());
        }
        return left;
    }

    private Expr ParsePower()
    {
        var left = ParseUnary(withFilter: true);
        while (Current.IsOperator("**"))
        {
            var op = Advance();
            left = new BinaryExpr(op.Position, "**", left, ParseUnary(withFilter: true));
        }
        return left;
    }

    private Expr ParseUnary(bool withFilter)
    {
        var t = Current;
        Enter(t.Position);
        Expr node;
        if (t.IsOperator("-") || t.IsOperator("+"))
        {
            Advance();
            node = new UnaryExpr(t.Position, t.Text, ParseUnary(withFilter: false));
        }
        else
        {
            node = ParsePrimary();
        }
        node = ParsePostfix(node);
        if (withFilter) node = ParseFiltersAndTests(node);
        Leave();
        return node;
    }

    private Expr ParsePrimary()
    {
        var t = Current;
        switch (t.Kind)
        {
            case TokenKind.Name:
                Advance();
                return t.Text switch
                {
                    "true" or "True" => new LiteralExpr(t.Position, true),
                    "false" or "False" => new LiteralExpr(t.Position, false),
                    "none" or "None" => new LiteralExpr(t.Position, null),
                    _ => new NameExpr(t.Position, t.Text),
                };
            case TokenKind.String:
                Advance();
                string text = (string)t.Value!;
                while (Current.Kind == TokenKind.String) text += (string)Advance().Value!; // 'a' 'b' is 'ab', as in Python
                return new LiteralExpr(t.Position, text);
            case TokenKind.Integer:
            case TokenKind.Float:
                Advance();
                return new LiteralExpr(t.Position, t.Value);
        }
        if (t.IsOperator("("))
        {
            Advance();
            var inner = ParseTuple(explicitParentheses: true);
            ExpectOperator(")");
            return inner;
        }
        if (t.IsOperator("[")) return ParseList();
        if (t.IsOperator("{")) return ParseDict();
        throw Unexpected("an expression");
    }

    private ListExpr ParseList()
    {
        int pos = Advance().Position;
        var items = new List<Expr>();
        while (!Current.IsOperator("]"))
        {
            if (items.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator("]")) break;
            }
            items.Add(ParseExpression());
        }
        Advance();
        return new ListExpr(pos, items);
    }

    private DictExpr ParseDict()
    {
        int pos = Advance().Position;
        var items = new List<(Expr, Expr)>();
        while (!Current.IsOperator("}"))
        {
            if (items.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator("}")) break;
            }
            var key = ParseExpression();
            ExpectOperator(":");
            items.Add((key, ParseExpression()));
        }
        Advance();
        return new DictExpr(pos, items);
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var t = Current;
            if (t.IsOperator("."))
            {
                Advance();
                var attr = Current;
                if (attr.Kind == TokenKind.Name) node = new AttributeExpr(attr.Position, node, attr.Text);
                else if (attr.Kind == TokenKind.Integer) node = new ItemExpr(attr.Position, node, new LiteralExpr(attr.Position, attr.Value));
                else throw Unexpected("an attribute name after '.'");
                Advance();
            }
            else if (t.IsOperator("["))
            {
                Advance();
                node = ParseSubscript(t.Position, node);
            }
            else if (t.IsOperator("("))
            {
                Advance();
                var (args, kwargs) = ParseCallArguments();
                node = new CallExpr(t.Position, node, args, kwargs);
            }
            else return node;
        }
    }

    private Expr ParseSubscript(int pos, Expr target)
    {
        Expr? start = null, stop = null, step = null;
        bool isSlice = false;
        if (!Current.IsOperator(":")) start = ParseExpression();
        if (Current.IsOperator(":"))
        {
            isSlice = true;
            Advance();
            if (!Current.IsOperator("]") && !Current.IsOperator(":")) stop = ParseExpression();
            if (Current.IsOperator(":"))
            {
                Advance();
                if (!Current.IsOperator("]")) step = ParseExpression();
            }
        }
        ExpectOperator("]");
        if (isSlice) return new SliceExpr(pos, target, start, stop, step);
        return new ItemExpr(pos, target, start ?? throw Error(pos, "empty subscript"));
    }

    /// <summary>After '(' — positional and keyword arguments up to and including ')'.</summary>
    private (List<Expr> Args, List<(string, Expr)> Kwargs) ParseCallArguments()
    {
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!Current.IsOperator(")"))
        {
            if (args.Count + kwargs.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator(")")) break;
            }
            if (Current.Kind == TokenKind.Name && PeekAt(1).IsOperator("="))
            {
                string name = Advance().Text;
                Advance();
                kwargs.Add((name, ParseExpression()));
            }
            else
            {
                if (kwargs.Count > 0) throw Error(Current.Position, "positional argument after a keyword argument");
                args.Add(ParseExpression());
            }
        }
        Advance();
        return (args, kwargs);
    }

    private Expr ParseFiltersAndTests(Expr node)
    {
        while (true)
        {
            var t = Current;
            if (t.IsOperator("|"))
            {
                Advance();
                string name = ParseDottedName("a filter name");
                List<Expr> args = [];
                List<(string, Expr)> kwargs = [];
                if (Current.IsOperator("("))
                {
                    Advance();
                    (args, kwargs) = ParseCallArguments();
                }
                node = new FilterExpr(t.Position, node, name, args, kwargs);
            }
            else if (t.IsName("is"))
            {
                Advance();
                bool negated = false;
                if (Current.IsName("not"))
                {
                    Advance();
                    negated = true;
                }
                string name = ParseDottedName("a test name");
                var args = new List<Expr>();
                var next = Current;
                if (next.IsOperator("("))
                {
                    Advance();
                    var (positional, kwargs) = ParseCallArguments();
                    if (kwargs.Count > 0) throw Error(next.Position, "tests take no keyword arguments");
                    args = positional;
                }
                else if (next.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float
                         || next.IsOperator("[") || next.IsOperator("{")
                         || (next.Kind == TokenKind.Name && !NotATestArgument.Contains(next.Text)))
                {
                    // Jinja allows one argument without parentheses: `x is sameas false`, `x is divisibleby 3`.
                    args.Add(ParsePostfix(ParsePrimary()));
                }
                node = new TestExpr(t.Position, node, name, args, negated);
            }
            else if (t.IsOperator("("))
            {
                Advance();
                var (args, kwargs) = ParseCallArguments();
                node = new CallExpr(t.Position, node, args, kwargs);
            }
            else return node;
        }
    }

    private string ParseDottedName(string what)
    {
        string name = ExpectName(what);
        while (Current.IsOperator(".") && PeekAt(1).Kind == TokenKind.Name)
        {
            Advance();
            name += "." + Advance().Text;
        }
        return name;
    }
}
