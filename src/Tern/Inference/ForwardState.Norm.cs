using Tern.Kernels;
using Tern.Models.Layers;
using Tern.Threading;

namespace Tern.Inference;

public sealed partial class ForwardState
{
    /// <summary>
    /// RMSNorm of each row of <paramref name="src"/> times <paramref name="gain"/>, written into <paramref name="dst"/>:
    /// y = (x · 1/sqrt(mean(x²) + eps)) · g. <paramref name="readers"/> are the layers that will read dst. When the first
    /// is ternary, each row is also quantized for it right after it is normalized, while it is still in L1: the same
    /// values the layer's own preparation would make, without reading the whole batch back from memory (at 512 tokens
    /// of 2560 floats, 5 MB). When every reader is ternary with that quantization, the float rows are not even written
    /// (normalized into a per-thread row, then quantized): dst then holds only its int8 rows.
    /// </summary>
    public void RmsNorm(float[] src, int width, float[]? gain, LinearInput dst, params ReadOnlySpan<Linear> readers) =>
        RunRmsNorm("rmsnorm", src, width, gain, dst, readers, RowStep.None, [], default);

    /// <summary>
    /// x += y, then <see cref="RmsNorm"/> of x into <paramref name="dst"/>, token by token: each row of x is added to
    /// and normalized while in L1 (the same operations as <see cref="Add"/> and <see cref="RmsNorm"/> one after the other).
    /// </summary>
    public void AddThenRmsNorm(float[] x, float[] y, int width, float[]? gain, LinearInput dst, params ReadOnlySpan<Linear> readers) =>
        RunRmsNorm("add+rmsnorm", x, width, gain, dst, readers, RowStep.Add, y, default);

    /// <summary>
    /// Gate ← act(Gate) · Up, then <see cref="RmsNorm"/> of Gate into <paramref name="dst"/>, token by token (the same
    /// operations as <see cref="GatedActivation"/> and <see cref="RmsNorm"/> one after the other, one pass over the rows).
    /// </summary>
    public void GatedActivationThenRmsNorm(Models.Architectures.FfnActivation act, float[]? gain, LinearInput dst, params ReadOnlySpan<Linear> readers) =>
        RunRmsNorm("ffn-activation+rmsnorm", Gate, Config.FfnDim, gain, dst, readers, RowStep.GatedActivation, Up, act);

    private void RunRmsNorm(string profileName, float[] src, int width, float[]? gain, LinearInput dst, ReadOnlySpan<Linear> readers, RowStep step, float[] other, Models.Architectures.FfnActivation act)
    {
        long __t = OpProfile.Start();
        dst.Reset(Count, width);
        ActivationScheme? scheme = readers.Length > 0 && readers[0] is TernaryLinear tl ? tl.Scheme : null;
        bool floats = true;
        if (scheme is { } s0)
        {
            dst.BeginRowQuantization();
            floats = false;
            foreach (var r in readers) floats |= r is not TernaryLinear { Scheme: var s } || s != s0;
        }
        _rmsNorm.Set(this, src, width, gain!, dst, scheme, floats, step, other, act);
        Pool.For(Count, _rmsNorm, work: (long)Count * width * 4);
        _rmsNorm.Set(this, [], 0, [], dst, null, true, RowStep.None, [], default);
        if (scheme is { } sc) dst.EndRowQuantization(sc, floats);
        OpProfile.Stop(profileName, __t);
    }

    /// <summary>What happens to a source row in place before it is normalized.</summary>
    private enum RowStep { None, Add, GatedActivation }

    private readonly RmsNormJob _rmsNorm = new();

    private sealed class RmsNormJob : IParallelBody
    {
        [ThreadStatic] private static float[]? t_row; // a normalized row that only its quantization needs
        private ForwardState _s = null!; private float[] _src = []; private int _width; private float[] _gain = []; private LinearInput _dst = null!;
        private ActivationScheme? _scheme; private bool _floats;
        private RowStep _step; private float[] _other = []; private Models.Architectures.FfnActivation _act;
        public void Set(ForwardState s, float[] src, int width, float[] gain, LinearInput dst, ActivationScheme? scheme, bool floats, RowStep step, float[] other, Models.Architectures.FfnActivation act)
        {
            _s = s; _src = src; _width = width; _gain = gain; _dst = dst; _scheme = scheme; _floats = floats; _step = step; _other = other; _act = act;
        }

        public void Run(int start, int end)
        {
            for (int t = start; t < end; t++)
            {
                var row = _src.AsSpan(t * _width, _width);
                if (_step == RowStep.Add) System.Numerics.Tensors.TensorPrimitives.Add(row, _other.AsSpan(t * _width, _width), row);
                else if (_step == RowStep.GatedActivation) Models.Architectures.Ffn.ApplyCore(_act, row, _other.AsSpan(t * _width, _width));
                if (_scheme is { } scheme && !_floats)
                {
                    var y = (t_row is { } b && b.Length >= _width ? b : (t_row = new float[_width])).AsSpan(0, _width);
                    RmsNormKernel.Row(row, _gain, y, _s.Config.RmsEps);
                    _dst.QuantizeRow(t, scheme, y);
                    continue;
                }
                RmsNormKernel.Row(row, _gain, _dst.Row(t), _s.Config.RmsEps);
                if (_scheme is { } sc) _dst.QuantizeRow(t, sc);
            }
        }
    }
}
