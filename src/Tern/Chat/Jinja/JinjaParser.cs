namespace Tern.Chat.Jinja;

/// <summary>
/// Recursive-descent parser from tokens to <see cref="Stmt"/> trees. This file holds the token cursor and the
/// statements (tags); <c>JinjaParser.Expressions.cs</c> holds expressions with Jinja's operator precedence.
/// Nesting is bounded by <see cref="JinjaLimits.MaxParseDepth"/>, so hostile input cannot overflow the stack.
/// </summary>
internal sealed partial class JinjaParser
{
    private readonly JinjaSource _source;
    private readonly List<Token> _tokens;
    private readonly JinjaLimits _limits;
    private int _index;
    private int _depth;
    private int _loopDepth;

    private JinjaParser(JinjaSource source, List<Token> tokens, JinjaLimits limits)
    {
        _source = source;
        _tokens = tokens;
        _limits = limits;
    }

    public static IReadOnlyList<Stmt> Parse(JinjaSource source, JinjaLimits limits)
    {
        var parser = new JinjaParser(source, JinjaLexer.Tokenize(source), limits);
        return parser.ParseBody([], openPos: 0, out _);
    }

    // ---- token cursor ----

    private Token Current => _tokens[_index];

    private Token PeekAt(int ahead) => _tokens[Math.Min(_index + ahead, _tokens.Count - 1)];

    private Token Advance()
    {
        var t = _tokens[_index];
        if (_index < _tokens.Count - 1) _index++;
        return t;
    }

    private ChatTemplateException Error(int pos, string reason) => _source.Error(pos, reason);

    private ChatTemplateException Unexpected(string expected) =>
        Error(Current.Position, $"expected {expected}, found {Current.Describe()}");

    private void ExpectOperator(string op)
    {
        if (!Current.IsOperator(op)) throw Unexpected($"'{op}'");
        Advance();
    }

    private string ExpectName(string what)
    {
        if (Current.Kind != TokenKind.Name) throw Unexpected(what);
        return Advance().Text;
    }

    private void ExpectBlockEnd(string tag)
    {
        if (Current.Kind != TokenKind.BlockEnd) throw Unexpected($"'%}}' to close '{tag}'");
        Advance();
    }

    private void Enter(int pos)
    {
        if (++_depth > _limits.MaxParseDepth)
            throw _source.Error(pos, $"template is nested too deeply (more than {_limits.MaxParseDepth} levels)", ChatTemplateErrorKind.LimitExceeded);
    }

    private void Leave() => _depth--;

    // ---- statements ----

    /// <summary>
    /// Parses statements until a block tag whose name is in <paramref name="endNames"/> (consumed, name included;
    /// the caller reads the rest of that tag) or, when <paramref name="endNames"/> is empty, until end of template.
    /// </summary>
    private List<Stmt> ParseBody(string[] endNames, int openPos, out string endName)
    {
        var body = new List<Stmt>();
        while (true)
        {
            var t = Current;
            switch (t.Kind)
            {
                case TokenKind.Eof:
                    if (endNames.Length > 0)
                        throw Error(openPos, $"unexpected end of template: this block is never closed (expected {string.Join(" or ", endNames.Select(n => $"'{{% {n} %}}'"))})");
                    endName = "";
                    return body;
                case TokenKind.Text:
                    body.Add(new TextStmt(t.Position, t.Text));
                    Advance();
                    break;
                case TokenKind.VariableBegin:
                    Advance();
                    var value = ParseTuple();
                    if (Current.Kind != TokenKind.VariableEnd) throw Unexpected("'}}'");
                    Advance();
                    body.Add(new OutputStmt(t.Position, value));
                    break;
                case TokenKind.BlockBegin:
                    var name = PeekAt(1);
                    if (name.Kind == TokenKind.Name && endNames.Contains(name.Text))
                    {
                        Advance();
                        Advance();
                        endName = name.Text;
                        return body;
                    }
                    Advance();
                    ParseStatement(body);
                    break;
                default:
                    throw Unexpected("template text or a tag");
            }
        }
    }

    private void ParseStatement(List<Stmt> body)
    {
        var tag = Current;
        if (tag.Kind != TokenKind.Name) throw Unexpected("a tag name");
        Enter(tag.Position);
        Advance();
        switch (tag.Text)
        {
            case "if": body.Add(ParseIf(tag.Position)); break;
            case "for": body.Add(ParseFor(tag.Position)); break;
            case "set": body.Add(ParseSet(tag.Position)); break;
            case "macro": body.Add(ParseMacro(tag.Position)); break;
            case "with": body.Add(ParseWith(tag.Position)); break;
            case "break":
            case "continue":
                if (_loopDepth == 0) throw Error(tag.Position, $"'{tag.Text}' outside of a for loop");
                ExpectBlockEnd(tag.Text);
                body.Add(tag.Text == "break" ? new BreakStmt(tag.Position) : new ContinueStmt(tag.Position));
                break;
            case "generation":
                // Hugging Face's AssistantTracker extension marks assistant text for training masks; rendering is unchanged.
                ExpectBlockEnd(tag.Text);
                body.AddRange(ParseBody(["endgeneration"], tag.Position, out _));
                ExpectBlockEnd("endgeneration");
                break;
            case "elif" or "else" or "endif" or "endfor" or "endset" or "endmacro" or "endwith" or "endgeneration" or "endraw":
                throw Error(tag.Position, $"unexpected '{{% {tag.Text} %}}' without a matching opening tag");
            default:
                throw _source.Error(tag.Position, $"unknown or unsupported tag '{tag.Text}'", ChatTemplateErrorKind.Unsupported);
        }
        Leave();
    }

    private IfStmt ParseIf(int pos)
    {
        var branches = new List<(Expr, IReadOnlyList<Stmt>)>();
        IReadOnlyList<Stmt>? otherwise = null;
        var test = ParseTuple(withCondExpr: false);
        ExpectBlockEnd("if");
        while (true)
        {
            var body = ParseBody(["elif", "else", "endif"], pos, out string end);
            branches.Add((test, body));
            if (end == "elif")
            {
                test = ParseTuple(withCondExpr: false);
                ExpectBlockEnd("elif");
                continue;
            }
            if (end == "else")
            {
                ExpectBlockEnd("else");
                otherwise = ParseBody(["endif"], pos, out _);
            }
            ExpectBlockEnd("endif");
            return new IfStmt(pos, branches, otherwise);
        }
    }

    private ForStmt ParseFor(int pos)
    {
        var target = ParseAssignTarget(allowAttribute: false);
        if (!Current.IsName("in")) throw Unexpected("'in'");
        Advance();
        var iterable = ParseTuple(withCondExpr: false, extraEnd: ["recursive", "if"]);
        if (Current.IsName("recursive")) throw _source.Error(Current.Position, "recursive for loops are not supported", ChatTemplateErrorKind.Unsupported);
        Expr? filter = null;
        if (Current.IsName("if"))
        {
            Advance();
            filter = ParseExpression();
        }
        ExpectBlockEnd("for");
        _loopDepth++;
        var body = ParseBody(["else", "endfor"], pos, out string end);
        _loopDepth--;
        IReadOnlyList<Stmt>? otherwise = null;
        if (end == "else")
        {
            ExpectBlockEnd("else");
            otherwise = ParseBody(["endfor"], pos, out _);
        }
        ExpectBlockEnd("endfor");
        return new ForStmt(pos, target, iterable, filter, body, otherwise);
    }

    private Stmt ParseSet(int pos)
    {
        var target = ParseAssignTarget(allowAttribute: true);
        if (Current.Kind == TokenKind.BlockEnd)
        {
            if (target is not NameTarget nameTarget) throw Error(pos, "a '{% set %}' block needs a plain variable name");
            Advance();
            int savedLoopDepth = _loopDepth;
            var body = ParseBody(["endset"], pos, out _);
            _loopDepth = savedLoopDepth;
            ExpectBlockEnd("endset");
            return new SetBlockStmt(pos, nameTarget.Name, body);
        }
        ExpectOperator("=");
        var value = ParseTuple();
        ExpectBlockEnd("set");
        return new SetStmt(pos, target, value);
    }

    private MacroStmt ParseMacro(int pos)
    {
        string name = ExpectName("a macro name");
        ExpectOperator("(");
        var parameters = new List<(string, Expr?)>();
        while (!Current.IsOperator(")"))
        {
            if (parameters.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator(")")) break;
            }
            string param = ExpectName("a parameter name");
            Expr? defaultValue = null;
            if (Current.IsOperator("="))
            {
                Advance();
                defaultValue = ParseExpression();
            }
            parameters.Add((param, defaultValue));
        }
        Advance();
        ExpectBlockEnd("macro");
        int savedLoopDepth = _loopDepth;
        _loopDepth = 0; // break/continue cannot cross a macro boundary
        var body = ParseBody(["endmacro"], pos, out _);
        _loopDepth = savedLoopDepth;
        ExpectBlockEnd("endmacro");
        return new MacroStmt(pos, name, parameters, body);
    }

    private WithStmt ParseWith(int pos)
    {
        var bindings = new List<(string, Expr)>();
        while (Current.Kind != TokenKind.BlockEnd)
        {
            if (bindings.Count > 0) ExpectOperator(",");
            string name = ExpectName("a variable name");
            ExpectOperator("=");
            bindings.Add((name, ParseExpression()));
        }
        Advance();
        var body = ParseBody(["endwith"], pos, out _);
        ExpectBlockEnd("endwith");
        return new WithStmt(pos, bindings, body);
    }

    /// <summary>A name, <c>ns.attr</c> (set only), or a comma-separated/parenthesised tuple of targets.</summary>
    private AssignTarget ParseAssignTarget(bool allowAttribute)
    {
        int pos = Current.Position;
        var items = new List<AssignTarget>();
        bool isTuple = false;
        while (true)
        {
            items.Add(ParseSingleTarget(allowAttribute && items.Count == 0));
            if (!Current.IsOperator(",")) break;
            isTuple = true;
            Advance();
            if (Current.IsOperator("=") || Current.IsName("in") || Current.Kind == TokenKind.BlockEnd) break;
        }
        if (isTuple && items.Any(i => i is AttributeTarget)) throw Error(pos, "cannot unpack into a namespace attribute");
        return isTuple ? new TupleTarget(pos, items) : items[0];
    }

    private AssignTarget ParseSingleTarget(bool allowAttribute)
    {
        var t = Current;
        if (t.IsOperator("("))
        {
            Enter(t.Position);
            Advance();
            var inner = ParseAssignTarget(allowAttribute: false);
            ExpectOperator(")");
            Leave();
            return inner;
        }
        string name = ExpectName("a variable name");
        if (name is "true" or "false" or "none" or "True" or "False" or "None")
            throw Error(t.Position, $"cannot assign to '{name}'");
        if (Current.IsOperator("."))
        {
            if (!allowAttribute) throw Error(Current.Position, "attribute assignment is only allowed in '{% set ns.attr = … %}'");
            Advance();
            string attribute = ExpectName("an attribute name");
            return new AttributeTarget(t.Position, name, attribute);
        }
        return new NameTarget(t.Position, name);
    }
}
