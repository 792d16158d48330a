using ClusterTrain.GpuNode.Models;
using ClusterTrain.GpuNode.Training;
using ClusterTrain.Shared.Models;
using ClusterTrain.Shared.Training;
using TorchSharp.Modules;

namespace ClusterTrain.GpuNode.Tests.Training;

public class OptimizerFactoryTests
{
    private static readonly ModelSpec Spec = new(ModelFamily.CifarResNet, 8, BaseWidth: 4);

    private static double DecayOf(ParamGroup group) => group.Options switch
    {
        SGD.Options o => o.weight_decay!.Value,
        Adam.Options o => o.weight_decay!.Value,
        _ => throw new InvalidOperationException(group.Options.GetType().Name),
    };

    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Adam)]
    public void Batch_norm_parameters_and_biases_skip_weight_decay_when_asked(OptimizerKind kind)
    {
        using var model = ModelFactory.Create(Spec);

        using var optimizer = OptimizerFactory.Create(model, new OptimizerSpec(kind, WeightDecay: 5e-4, DecayBatchNorm: false));

        var groups = optimizer.ParamGroups.Cast<ParamGroup>().ToList();
        Assert.Equal(2, groups.Count);
        Assert.All(groups[0].Parameters, p => Assert.True(p.dim() > 1));
        Assert.All(groups[1].Parameters, p => Assert.Equal(1, p.dim()));
        Assert.Equal(5e-4, DecayOf(groups[0]));
        Assert.Equal(0, DecayOf(groups[1]));
        Assert.Equal(model.parameters().Count(), groups.Sum(g => g.Parameters.Count()));
    }

    [Fact]
    public void Every_parameter_is_decayed_by_default()
    {
        using var model = ModelFactory.Create(Spec);

        using var optimizer = OptimizerFactory.Create(model, new OptimizerSpec(WeightDecay: 1e-4));

        Assert.All(optimizer.ParamGroups.Cast<ParamGroup>(), g => Assert.Equal(1e-4, DecayOf(g)));
    }

    [Fact]
    public void Setting_the_learning_rate_reaches_every_group()
    {
        using var model = ModelFactory.Create(Spec);
        using var optimizer = OptimizerFactory.Create(model, new OptimizerSpec(LearningRate: 0.1, DecayBatchNorm: false));

        OptimizerFactory.SetLearningRate(optimizer, 0.01);

        Assert.All(optimizer.ParamGroups, g => Assert.Equal(0.01, g.LearningRate));
    }
}
