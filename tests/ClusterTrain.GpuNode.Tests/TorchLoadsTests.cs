namespace ClusterTrain.GpuNode.Tests;
public class TorchLoadsTests { [Fact] public void Torch_loads() => Assert.Equal(2f, TorchSharp.torch.ones(2).sum().item<float>()); }
