using System.Diagnostics;
using ClusterTrain.GpuNode.Models;
using ClusterTrain.Shared.Models;
using ClusterTrain.Shared.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Benchmarks;

/// <summary>
/// The yardstick for the trainer: the training step one would write by hand in TorchSharp for the same
/// model, i.e. zero_grad, forward, cross entropy, backward, SGD step, in a dispose scope, on one random
/// batch made once on the device. No data pipeline, no loss read-back, no bookkeeping.
/// </summary>
public sealed class BareTrainingLoop : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly optim.Optimizer _optimizer;
    private readonly nn.Module<Tensor, Tensor, Tensor> _loss = nn.CrossEntropyLoss();
    private readonly Tensor _images;
    private readonly Tensor _labels;
    private readonly Device _device;
    private readonly Stopwatch _clock = new();

    /// <param name="optimizer">Learning rate, momentum and weight decay, so that the update does the same work as the trainer's.</param>
    public BareTrainingLoop(ModelSpec spec, int batchSize, OptimizerSpec optimizer, Device device)
    {
        _device = device;
        _model = ModelFactory.Create(spec);
        _model.to(device);
        _model.train();
        _optimizer = optim.SGD(_model.parameters(), optimizer.LearningRate, optimizer.Momentum,
            weight_decay: optimizer.WeightDecay, nesterov: optimizer.Nesterov);
        _images = randn([batchSize, spec.InputChannels, spec.InputSize, spec.InputSize], device: device).DetachFromDisposeScope();
        _labels = randint(spec.Classes, [batchSize], dtype: ScalarType.Int64, device: device).DetachFromDisposeScope();
    }

    /// <summary>One training step; returns its duration in seconds, the device's queued work included.</summary>
    public double Step()
    {
        _clock.Restart();
        using (NewDisposeScope())
        {
            _optimizer.zero_grad();
            var loss = _loss.call(_model.call(_images), _labels);
            loss.backward();
            _optimizer.step();
        }
        DeviceSync.Wait(_device);
        return _clock.Elapsed.TotalSeconds;
    }

    public void Dispose()
    {
        _images.Dispose();
        _labels.Dispose();
        _optimizer.Dispose();
        _loss.Dispose();
        _model.Dispose();
    }
}
