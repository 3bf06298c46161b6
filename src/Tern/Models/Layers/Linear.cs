namespace Tern.Models.Layers;

/// <summary>y = W x for a batch of tokens: W has <see cref="Out"/> rows of <see cref="In"/> values.</summary>
public abstract class Linear
{
    protected Linear(string name, int inputs, int outputs)
    {
        Name = name; In = inputs; Out = outputs;
    }

    public string Name { get; }
    public int In { get; }
    public int Out { get; }

    /// <summary>Bytes of weights this layer reads per forward pass.</summary>
    public abstract long WeightBytes { get; }

    /// <summary>Computes output rows [row0, row1) of every token: y[t · Out + r]. Different row ranges may run in parallel.</summary>
    public abstract void ComputeRows(LinearInput x, Span<float> y, int row0, int row1);

    /// <summary>Called once per batch before the row ranges run (e.g. to quantize the input).</summary>
    public virtual void Prepare(LinearInput x, Threading.WorkerPool? pool = null) { }
}
