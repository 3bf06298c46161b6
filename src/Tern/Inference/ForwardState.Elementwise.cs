using Tern.Threading;

namespace Tern.Inference;

public sealed partial class ForwardState
{
    /// <summary>Gate ← act(Gate) · Up for every token, tokens split across the worker threads.</summary>
    public void GatedActivation(Models.Architectures.FfnActivation act)
    {
        _ffn.State = this; _ffn.Activation = act;
        Pool.For(Count, _ffn, work: (long)Count * Config.FfnDim * 8);
    }

    private readonly FfnJob _ffn = new();

    private sealed class FfnJob : IParallelBody
    {
        public ForwardState State = null!;
        public Models.Architectures.FfnActivation Activation;
        public void Run(int start, int end)
        {
            int ff = State.Config.FfnDim;
            Models.Architectures.Ffn.Apply(Activation, State.Gate.AsSpan(start * ff, (end - start) * ff), State.Up.AsSpan(start * ff, (end - start) * ff));
        }
    }

    /// <summary>x += y for every token's row, tokens split across the worker threads.</summary>
    public void Add(float[] x, float[] y, int width)
    {
        long __t = OpProfile.Start();
        _add.X = x; _add.Y = y; _add.Width = width;
        Pool.For(Count, _add, work: (long)Count * width);
        _add.X = _add.Y = [];
        OpProfile.Stop("add", __t);
    }

    private readonly AddJob _add = new();

    private sealed class AddJob : IParallelBody
    {
        public float[] X = [], Y = [];
        public int Width;
        public void Run(int start, int end) =>
            System.Numerics.Tensors.TensorPrimitives.Add(X.AsSpan(start * Width, (end - start) * Width), Y.AsSpan(start * Width, (end - start) * Width), X.AsSpan(start * Width, (end - start) * Width));
    }
}
