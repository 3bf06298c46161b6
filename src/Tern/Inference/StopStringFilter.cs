namespace Tern.Inference;

/// <summary>Holds back text that might be the start of a stop string; reports when one appears.</summary>
internal sealed class StopStringFilter(IReadOnlyList<string> stops)
{
    private string _pending = "";

    public (string Text, bool Stopped) Push(string text, bool final = false)
    {
        if (stops.Count == 0) return (text, false);
        _pending += text;
        int first = -1;
        foreach (var s in stops)
        {
            if (s.Length == 0) continue;
            int i = _pending.IndexOf(s, StringComparison.Ordinal);
            if (i >= 0 && (first < 0 || i < first)) first = i;
        }
        if (first >= 0)
        {
            string before = _pending[..first];
            _pending = "";
            return (before, true);
        }
        if (final)
        {
            string all = _pending;
            _pending = "";
            return (all, false);
        }
        // Keep the longest suffix that is a proper prefix of some stop string.
        int keep = 0;
        foreach (var s in stops)
            for (int len = Math.Min(s.Length - 1, _pending.Length); len > keep; len--)
                if (_pending.AsSpan(_pending.Length - len).SequenceEqual(s.AsSpan(0, len))) { keep = len; break; }
        string emit = _pending[..^keep];
        _pending = _pending[^keep..];
        return (emit, false);
    }
}
