using ClusterTrain.GpuNode.Training;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Models;
using static ClusterTrain.GpuNode.Tests.Training.TrainingFixtures;

namespace ClusterTrain.GpuNode.Tests.Training;

/// <summary>
/// The picture ClusterTrain exists to draw: without batch norm, under the framework's default init, the
/// gradient reaching the first layer of a deep plain net vanishes, while identity shortcuts carry it.
/// </summary>
public class GradientFlowTests
{
    private static GradientSnapshot SnapshotAtStep3(int depth, bool shortcuts)
    {
        var config = TinyTrial(depth: depth, shortcuts: shortcuts, batchNorm: false, steps: 4, init: InitScheme.Default, lr: 0.1) with
        {
            Model = new ModelSpec(ModelFamily.CifarResNet, depth, BatchNorm: false, Shortcuts: shortcuts, Init: InitScheme.Default),
            Stats = TinyTrial().Stats with { Every = 1 },
        };
        var observer = new RecordingObserver();
        new TrialTrainer(config, TempFolder()).Run(observer);
        return observer.Snapshots.Single(s => s.Step == 3);
    }

    [Fact]
    public void The_first_layer_gradient_of_a_deep_plain_net_vanishes_while_the_resnet_keeps_it()
    {
        var plain = SnapshotAtStep3(56, shortcuts: false);
        var residual = SnapshotAtStep3(56, shortcuts: true);

        Assert.Equal("conv1.weight", plain.Layers[0].Name);
        Assert.True(plain.Layers[0].L2Norm < 1e-6, $"plain-56 first-layer gradient norm {plain.Layers[0].L2Norm:E2}");
        Assert.True(residual.Layers[0].L2Norm > 1e-4, $"ResNet-56 first-layer gradient norm {residual.Layers[0].L2Norm:E2}");
        Assert.True(GradientProfile.LogNormSlope(plain) > GradientProfile.LogNormSlope(residual),
            "the plain net's gradient should grow much faster from input to output");
    }
}
