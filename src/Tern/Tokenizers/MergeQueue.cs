namespace Tern.Tokenizers;

/// <summary>
/// A binary min-heap of 64-bit keys for the BPE merge loops. Each key packs a priority in its high 32 bits and the
/// position of the pair's left symbol in its low 32 bits, so the smallest key is the best merge and, among equals,
/// the leftmost one — the order llama.cpp and Hugging Face merge in.
/// </summary>
internal sealed class MergeQueue
{
    private long[] _keys = new long[64];
    private int _count;

    public int Count => _count;

    public void Clear() => _count = 0;

    public static long Key(int priority, int position) => ((long)priority << 32) | (uint)position;

    public static int Priority(long key) => (int)(key >> 32);

    public static int Position(long key) => (int)(uint)key;

    public void Push(long key)
    {
        if (_count == _keys.Length) Array.Resize(ref _keys, _count * 2);
        int i = _count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (_keys[parent] <= key) break;
            _keys[i] = _keys[parent];
            i = parent;
        }
        _keys[i] = key;
    }

    public long Pop()
    {
        long top = _keys[0];
        long last = _keys[--_count];
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= _count) break;
            if (child + 1 < _count && _keys[child + 1] < _keys[child]) child++;
            if (last <= _keys[child]) break;
            _keys[i] = _keys[child];
            i = child;
        }
        if (_count > 0) _keys[i] = last;
        return top;
    }
}
