namespace Tern.Kernels;

/// <summary>The activations of a mat-vec step as just their address, for steps that load them inside their multiply-adds.</summary>
internal readonly unsafe struct ActivationPointer(sbyte* x)
{
    public readonly sbyte* X = x;
}
