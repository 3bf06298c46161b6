using System.Buffers.Binary;
using Tern.Gguf;

namespace Tern.Tensors;

/// <summary>
/// Uniform access to a ternary weight matrix of shape [K, M] (ne[0] = K values per row, M rows) in any of the ternary
/// layouts Tern reads — I2_S, TQ2_0, TQ1_0, IQ2_BN: decodes row r into K trits and reports the scales that go with it.
/// </summary>
/// <remarks>
/// BitNet b1.58 has one scale per tensor. TQ1_0/TQ2_0 store one per 256-value block and IQ2_BN one per row, but a model
/// converted from a per-tensor-scale checkpoint carries the same value in all of them; <see cref="TryGetUniformScale()"/>
/// detects that, so an engine can treat every format as trits × one per-tensor scale and give identical results.
/// The source reads the file's mapping directly and stays valid until the <see cref="GgufFile"/> is disposed.
/// </remarks>
public sealed unsafe class TernaryRowSource
{
    private readonly GgufFile _file;
    private readonly int _rowBytes;     // bytes of one row: codes only for I2_S, everything for the others
    private readonly int _blockBytes;   // bytes of one scale block (TQ*), else 0

    public TernaryRowSource(GgufFile file, GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(tensor);
        if (!GgmlTypeInfo.IsTernary(tensor.Type))
            throw new ArgumentException($"tensor '{tensor.Name}' has type {tensor.Type}, which is not ternary", nameof(tensor));
        _file = file;
        Tensor = tensor;
        Columns = Dequantizer.RowLength(tensor);
        Rows = tensor.Rows;
        switch (tensor.Type)
        {
            case GgmlType.I2_S:
                ScaleKind = TernaryScaleKind.PerTensor;
                ScaleBlockLength = Columns;
                _rowBytes = Columns / 4;
                break;
            case GgmlType.IQ2_BN:
                ScaleKind = TernaryScaleKind.PerRow;
                ScaleBlockLength = Columns;
                _rowBytes = IQ2BN.RowBytes(Columns);
                break;
            default:
                ScaleKind = TernaryScaleKind.PerBlock;
                ScaleBlockLength = 256;
                _blockBytes = tensor.Type == GgmlType.TQ2_0 ? TQ2_0.BlockBytes : TQ1_0.BlockBytes;
                _rowBytes = Dequantizer.RowByteSize(tensor.Type, Columns);
                break;
        }
    }

    public GgufTensorInfo Tensor { get; }
    public GgmlType Type => Tensor.Type;
    /// <summary>K: values per row (ne[0]).</summary>
    public int Columns { get; }
    /// <summary>M: number of rows.</summary>
    public long Rows { get; }
    public TernaryScaleKind ScaleKind { get; }
    /// <summary>Values of a row covered by one scale: 256 for TQ1_0/TQ2_0, the whole row otherwise.</summary>
    public int ScaleBlockLength { get; }
    /// <summary>Scales reported per row by <see cref="GetRowScales"/>: K/256 for TQ1_0/TQ2_0, else 1.</summary>
    public int ScalesPerRow => Columns / ScaleBlockLength;

    /// <summary>The per-tensor scale of an I2_S tensor.</summary>
    public float TensorScale => ScaleKind == TernaryScaleKind.PerTensor
        ? BinaryPrimitives.ReadSingleLittleEndian(new ReadOnlySpan<byte>(_file.GetTensorPointer(Tensor) + Tensor.ElementCount / 4, 4))
        : throw new InvalidOperationException($"{Type} has no per-tensor scale; see TryGetUniformScale");

    /// <summary>Decodes row <paramref name="row"/> into <c>trits</c> (length K).</summary>
    public void DecodeRow(long row, Span<sbyte> trits)
    {
        var bytes = RowSpan(row);
        if (trits.Length != Columns)
            throw new ArgumentException($"a row of '{Tensor.Name}' has {Columns} values; the trit span has {trits.Length}", nameof(trits));
        switch (Type)
        {
            case GgmlType.I2_S:
                I2S.DecodeTrits(bytes, 0, trits);
                break;
            case GgmlType.IQ2_BN:
                IQ2BN.DecodeRow(bytes, trits, out _);
                break;
            case GgmlType.TQ2_0:
                for (int b = 0; b < ScalesPerRow; b++)
                    TQ2_0.DecodeBlock(bytes.Slice(b * _blockBytes, _blockBytes), trits.Slice(b * 256, 256), out _);
                break;
            default:
                for (int b = 0; b < ScalesPerRow; b++)
                    TQ1_0.DecodeBlock(bytes.Slice(b * _blockBytes, _blockBytes), trits.Slice(b * 256, 256), out _);
                break;
        }
    }

    /// <summary>Decodes row <paramref name="row"/> and writes its <see cref="ScalesPerRow"/> scales.</summary>
    public void DecodeRow(long row, Span<sbyte> trits, Span<float> scales)
    {
        DecodeRow(row, trits);
        GetRowScales(row, scales);
    }

    /// <summary>
    /// The scales of row <paramref name="row"/>, without decoding its trits: value i of the row is
    /// <c>scales[i / ScaleBlockLength] · t_i</c>. For I2_S this is the tensor scale.
    /// </summary>
    public void GetRowScales(long row, Span<float> scales)
    {
        var bytes = RowSpan(row);
        if (scales.Length != ScalesPerRow)
            throw new ArgumentException($"'{Tensor.Name}' has {ScalesPerRow} scales per row; the span has {scales.Length}", nameof(scales));
        switch (ScaleKind)
        {
            case TernaryScaleKind.PerTensor:
                scales[0] = TensorScale;
                break;
            case TernaryScaleKind.PerRow:
                scales[0] = BinaryPrimitives.ReadSingleLittleEndian(bytes);
                break;
            default:
                for (int b = 0; b < scales.Length; b++)
                {
                    var block = bytes.Slice(b * _blockBytes, _blockBytes);
                    scales[b] = HalfConversion.F16ToF32(Type == GgmlType.TQ2_0 ? TQ2_0.ReadScaleBits(block) : TQ1_0.ReadScaleBits(block));
                }
                break;
        }
    }

    /// <summary>
    /// True when the whole tensor equals trits × one scale: every scale block that holds a non-zero trit has the same
    /// scale (blocks whose trits are all zero are ignored, whatever their stored scale). I2_S always qualifies.
    /// The scale of a tensor without any non-zero trit is reported as 0 (its stored scale for I2_S).
    /// Reads the whole tensor.
    /// </summary>
    public bool TryGetUniformScale(out float scale)
    {
        if (ScaleKind == TernaryScaleKind.PerTensor)
        {
            scale = TensorScale;
            return true;
        }
        var trits = new sbyte[Columns];
        var scales = new float[ScalesPerRow];
        bool found = false;
        scale = 0;
        for (long r = 0; r < Rows; r++)
        {
            DecodeRow(r, trits, scales);
            for (int b = 0; b < scales.Length; b++)
            {
                if (!trits.AsSpan(b * ScaleBlockLength, ScaleBlockLength).ContainsAnyExcept((sbyte)0)) continue;
                if (!found)
                {
                    scale = scales[b];
                    found = true;
                }
                else if (!(scales[b] == scale)) // NaN never matches
                {
                    scale = 0;
                    return false;
                }
            }
        }
        if (found && float.IsNaN(scale))
        {
            scale = 0;
            return false;
        }
        return true;
    }

    /// <summary>See <see cref="TryGetUniformScale()"/>.</summary>
    public static bool TryGetUniformScale(GgufFile f, GgufTensorInfo t, out float scale) =>
        new TernaryRowSource(f, t).TryGetUniformScale(out scale);

    private ReadOnlySpan<byte> RowSpan(long row)
    {
        if ((ulong)row >= (ulong)Rows)
            throw new ArgumentOutOfRangeException(nameof(row), row, $"'{Tensor.Name}' has {Rows} rows");
        return new ReadOnlySpan<byte>(_file.GetTensorPointer(Tensor) + row * _rowBytes, _rowBytes);
    }
}
