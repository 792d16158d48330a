using TorchSharp;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Tests.Data;

internal static class TensorAssert
{
    /// <summary>Same shape and bitwise the same values (Tensor.equal is element-wise in TorchSharp).</summary>
    public static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape) || a.dtype != b.dtype) return false;
        using var scope = NewDisposeScope();
        return a.eq(b).all().ToBoolean();
    }
}
