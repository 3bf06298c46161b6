using Tern.Kernels;
using Tern.Threading;

namespace Tern.Inference;

public sealed partial class ForwardState
{
    /// <summary>
    /// Rotary position embedding of Q and K, ggml's way: θ starts at the position and is multiplied by
    /// base^(−2/n_dims) per pair. Tokens are split across the worker threads. The cos/sin of each token's angles are
    /// computed by the first layer's call and kept for the other layers of the same batch (they depend only on the
    /// position).
    /// </summary>
    public void Rope(bool neox)
    {
        long __t = OpProfile.Start();
        int half = Config.RopeDim / 2;
        if (_ropeCos.Length < Count * half) { _ropeCos = new float[Count * half]; _ropeSin = new float[Count * half]; }
        _rope.State = this; _rope.Neox = neox; _rope.ComputeAngles = !_ropeAngles;
        Pool.For(Count, _rope, work: (long)Count * (Config.QDim + Config.KvDim) * 4);
        _ropeAngles = true;
        OpProfile.Stop("rope", __t);
    }

    private readonly RopeJob _rope = new();
    private float[] _ropeCos = [], _ropeSin = []; // [Count][RopeDim / 2]
    private bool _ropeAngles;

    private sealed class RopeJob : IParallelBody
    {
        public ForwardState State = null!;
        public bool Neox, ComputeAngles;

        public void Run(int start, int end)
        {
            var c = State.Config;
            int nDims = c.RopeDim, half = nDims / 2;
            float thetaScale = MathF.Pow(c.RopeTheta, -2.0f / nDims);
            for (int t = start; t < end; t++)
            {
                var cos = State._ropeCos.AsSpan(t * half, half);
                var sin = State._ropeSin.AsSpan(t * half, half);
                if (ComputeAngles)
                {
                    float theta = State._batch[t].Position;
                    var freqs = State.RopeFreqs;
                    for (int i = 0; i < half; i++)
                    {
                        // With rope_freqs (LLaMA-3 scaling), ggml divides each pair's angle by its factor.
                        float angle = freqs is null ? theta : theta / freqs[i];
                        cos[i] = MathF.Cos(angle);
                        sin[i] = MathF.Sin(angle);
                        theta *= thetaScale;
                    }
                }
                RopeRotation.Rotate(State.Q.AsSpan(t * c.QDim, c.QDim), c.Heads, c.HeadDim, cos, sin, Neox);
                RopeRotation.Rotate(State.K.AsSpan(t * c.KvDim, c.KvDim), c.KvHeads, c.HeadDim, cos, sin, Neox);
            }
        }
    }
}
