using ClusterTrain.Shared.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Training;

public static class OptimizerFactory
{
    /// <summary>
    /// Builds the optimizer with two parameter groups: weights (conv, linear) and the one-dimensional
    /// parameters (batch-norm scales and shifts, biases), which skip weight decay when
    /// <see cref="OptimizerSpec.DecayBatchNorm"/> is off, as in many ResNet recipes.
    /// </summary>
    public static OptimizerHelper Create(nn.Module model, OptimizerSpec spec)
    {
        var parameters = model.parameters().ToList();
        var weights = parameters.Where(p => p.dim() > 1).ToList();
        var vectors = parameters.Where(p => p.dim() <= 1).ToList();
        var vectorDecay = spec.DecayBatchNorm ? spec.WeightDecay : 0.0;
        return spec.Kind switch
        {
            OptimizerKind.Sgd => new SGD(
                Groups(weights, vectors, decay => new SGD.ParamGroup(Array.Empty<Parameter>(), new SGD.Options { weight_decay = decay }),
                    spec.WeightDecay, vectorDecay),
                spec.LearningRate, spec.Momentum, dampening: 0, weight_decay: spec.WeightDecay, nesterov: spec.Nesterov, maximize: false),
            OptimizerKind.Adam => new Adam(
                Groups(weights, vectors, decay => new Adam.ParamGroup(Array.Empty<Parameter>(), new Adam.Options { weight_decay = decay }),
                    spec.WeightDecay, vectorDecay),
                spec.LearningRate, spec.Beta1, spec.Beta2, eps: 1e-8, weight_decay: spec.WeightDecay, amsgrad: false, maximize: false),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "unknown optimizer"),
        };
    }

    private static IEnumerable<TGroup> Groups<TGroup>(List<Parameter> weights, List<Parameter> vectors,
        Func<double, TGroup> emptyGroup, double weightDecay, double vectorDecay) where TGroup : ParamGroup
    {
        var weightGroup = emptyGroup(weightDecay);
        weightGroup.Parameters = weights;
        yield return weightGroup;
        if (vectors.Count == 0) yield break;
        var vectorGroup = emptyGroup(vectorDecay);
        vectorGroup.Parameters = vectors;
        yield return vectorGroup;
    }

    public static void SetLearningRate(OptimizerHelper optimizer, double learningRate)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = learningRate;
    }
}
