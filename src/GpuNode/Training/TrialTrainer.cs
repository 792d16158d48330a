using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ClusterTrain.GpuNode.Data;
using ClusterTrain.GpuNode.Models;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Training;

/// <summary>
/// Trains one trial to the end, resuming from the checkpoint in <paramref name="checkpointFolder"/> when
/// one exists. A NaN or infinite loss ends the trial as Diverged; cancellation writes a checkpoint and
/// ends it as Interrupted. Runs on the calling thread: the cluster runs it in a child process.
/// </summary>
public sealed class TrialTrainer(TrialConfig config, string checkpointFolder)
{
    private static readonly JsonSerializerOptions CanonicalJson = new() { Converters = { new JsonStringEnumConverter() } };

    /// <summary>
    /// Identifies what is trained, not where: device and thread count are left out, so that a trial retried on
    /// another GPU slot of the cluster resumes from its checkpoint.
    /// </summary>
    public static string ConfigHash(TrialConfig config) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            JsonSerializer.Serialize(config with { Device = "", Threads = 0 }, CanonicalJson))))[..16];

    public TrialResult Run(ITrainingObserver observer, CancellationToken cancellation = default)
    {
        TorchRuntime.Configure(config.Threads, config.Seed);
        var device = TorchRuntime.ResolveDevice(config.Device);
        var wall = Stopwatch.StartNew();

        using var data = DataSplits.Load(config.Data, config.Seed);
        var modelSpec = config.Model with
        {
            InputChannels = data.Channels,
            InputSize = data.Height,
            Classes = data.Classes,
        };
        using var model = ModelFactory.Create(modelSpec);
        model.to(device);
        using var optimizer = OptimizerFactory.Create(model, config.Optimizer);
        if (data.Height != data.Width)
            throw new ArgumentException($"the model zoo needs square images; the data has {data.Height}x{data.Width}.");
        using var batches = data.TrainBatches(config.BatchSize, config.Seed, device);
        var stepsPerEpoch = batches.StepsPerEpoch;
        if (stepsPerEpoch == 0)
            throw new ArgumentException($"batch_size {config.BatchSize} is larger than the {data.Train.Count} training images.");
        var totalSteps = (long)config.Epochs * stepsPerEpoch;
        if (config.MaxSteps is { } maxSteps) totalSteps = Math.Min(totalSteps, maxSteps);

        var hash = ConfigHash(config);
        var state = new CheckpointState(hash, 0, 0, 0, 0, 0, 0);
        if (Checkpoint.TryReadState(checkpointFolder) is { } saved)
        {
            if (saved.ConfigHash != hash)
                throw new InvalidDataException(
                    $"{Checkpoint.PathIn(checkpointFolder)} belongs to another trial config (hash {saved.ConfigHash}, this one {hash}); use a fresh output folder.");
            state = Checkpoint.Load(checkpointFolder, model, optimizer);
        }
        var resumedFrom = state.Step;

        var weightLayers = ModelFactory.WeightLayers(model);
        using var collector = new GradientStatsCollector(weightLayers,
            new HistogramSpec(config.Stats.HistogramBins, config.Stats.HistogramMinLog10, config.Stats.HistogramMaxLog10));
        observer.OnStarted(new TrainingStarted(modelSpec.DisplayName, model.parameters().Sum(p => p.numel()), device.ToString(),
            totalSteps, stepsPerEpoch, resumedFrom, collector.LayerNames));

        var lossFunction = nn.CrossEntropyLoss();
        var stepClock = new Stopwatch();
        // Each snapshot carries the mean training loss and error of the steps since the previous one, its own
        // step included, so the snapshots alone draw a training curve; a resumed run starts a fresh mean.
        var sinceSnapshot = (Loss: 0.0, Error: 0.0, Steps: 0);
        GradientSnapshot WithTrainingMeans(GradientSnapshot snapshot)
        {
            var means = snapshot with { TrainLoss = sinceSnapshot.Loss / sinceSnapshot.Steps, TrainError = sinceSnapshot.Error / sinceSnapshot.Steps };
            sinceSnapshot = (0, 0, 0);
            return means;
        }
        EvaluationResult? lastTest = null, lastValidation = null;
        var step = state.Step;
        while (step < totalSteps)
        {
            if (cancellation.IsCancellationRequested)
            {
                SaveCheckpoint(state with { Step = step }, model, optimizer, observer);
                return Result(TrialOutcome.Interrupted, state with { Step = step }, null);
            }

            var epoch = (int)(step / stepsPerEpoch);
            var batchIndex = (int)(step % stepsPerEpoch);
            if (batchIndex == 0) state = state with { EpochLossSum = 0, EpochErrorSum = 0, EpochSteps = 0 };
            var learningRate = LearningRateSchedule.At(step, totalSteps, config.Optimizer, config.Schedule);
            OptimizerFactory.SetLearningRate(optimizer, learningRate);
            var takeSnapshot = step % config.Stats.Every == 0;

            stepClock.Restart();
            double loss, error;
            GradientSnapshot? snapshot = null;
            using (var scope = NewDisposeScope())
            {
                var (x, y) = batches.Batch(epoch, batchIndex);
                model.train();
                optimizer.zero_grad();
                var logits = ((nn.Module<Tensor, Tensor>)model).call(x);
                var lossTensor = lossFunction.call(logits, y);
                var wrong = logits.argmax(1).ne(y).sum().to(ScalarType.Float64);
                var host = stack(new[] { lossTensor.detach().to(ScalarType.Float64), wrong }).cpu().data<double>().ToArray();
                loss = host[0];
                error = host[1] / y.shape[0];
                sinceSnapshot = (sinceSnapshot.Loss + loss, sinceSnapshot.Error + error, sinceSnapshot.Steps + 1);
                if (!double.IsFinite(loss))
                {
                    // The step that diverged is recorded like any other, with the gradients it produced
                    // (their non-finite counts are the point); no update is applied, so its update ratio is 0.
                    lossTensor.backward();
                    collector.CaptureGradients();
                    observer.OnGradientSnapshot(WithTrainingMeans(collector.CompleteSnapshot(step)));
                    observer.OnStep(new StepProgress(step + 1, totalSteps, epoch, learningRate, loss, error, 0));
                    return Result(TrialOutcome.Diverged, state with { Step = step }, step + 1);
                }
                lossTensor.backward();
                if (takeSnapshot) collector.CaptureGradients();
                optimizer.step();
                if (takeSnapshot) snapshot = WithTrainingMeans(collector.CompleteSnapshot(step));
            }
            stepClock.Stop();

            state = state with
            {
                Step = step + 1,
                EpochLossSum = state.EpochLossSum + loss,
                EpochErrorSum = state.EpochErrorSum + error,
                EpochSteps = state.EpochSteps + 1,
                TrainSeconds = state.TrainSeconds + stepClock.Elapsed.TotalSeconds,
                ImagesTrained = state.ImagesTrained + config.BatchSize,
            };
            step++;
            if (snapshot is not null) observer.OnGradientSnapshot(snapshot);
            observer.OnStep(new StepProgress(step, totalSteps, epoch, learningRate, loss, error,
                config.BatchSize / Math.Max(stepClock.Elapsed.TotalSeconds, 1e-9)));

            var endOfEpoch = step % stepsPerEpoch == 0;
            if (step == totalSteps || (config.EvalEvery > 0 ? step % config.EvalEvery == 0 : endOfEpoch))
            {
                lastTest = Evaluate(model, data.Test, "test", step, epoch, data, device, observer);
                if (data.Validation is not null)
                    lastValidation = Evaluate(model, data.Validation, "validation", step, epoch, data, device, observer);
            }
            if (step == totalSteps || (config.CheckpointEvery > 0 && step % config.CheckpointEvery == 0))
                SaveCheckpoint(state, model, optimizer, observer);
        }

        // A run resumed from its final checkpoint trains no step; evaluate so its result still carries the test error.
        lastTest ??= Evaluate(model, data.Test, "test", step, (int)((step - 1) / stepsPerEpoch), data, device, observer);
        if (data.Validation is not null)
            lastValidation ??= Evaluate(model, data.Validation, "validation", step, (int)((step - 1) / stepsPerEpoch), data, device, observer);
        return Result(TrialOutcome.Completed, state, null);

        TrialResult Result(TrialOutcome outcome, CheckpointState s, long? divergedAt) => new(
            outcome, s.Step, totalSteps,
            s.EpochSteps > 0 ? s.EpochLossSum / s.EpochSteps : double.NaN,
            s.EpochSteps > 0 ? s.EpochErrorSum / s.EpochSteps : double.NaN,
            lastTest?.Loss, lastTest?.Error, lastValidation?.Error,
            wall.Elapsed.TotalSeconds,
            s.TrainSeconds > 0 ? s.ImagesTrained / s.TrainSeconds : 0,
            divergedAt, resumedFrom);
    }

    private void SaveCheckpoint(CheckpointState state, nn.Module model, OptimizerHelper optimizer, ITrainingObserver observer)
    {
        Checkpoint.Save(checkpointFolder, state, model, optimizer);
        observer.OnCheckpoint(state.Step, Checkpoint.PathIn(checkpointFolder));
    }

    private EvaluationResult Evaluate(nn.Module model, Data.TensorDataset split, string name, long step, int epoch,
        DataSplits data, Device device, ITrainingObserver observer)
    {
        model.eval();
        double lossSum = 0, wrong = 0;
        var samples = 0;
        using (no_grad())
        {
            foreach (var (x, y) in data.EvalBatches(split, config.BatchSize, device))
            {
                using var scope = NewDisposeScope();
                var logits = ((nn.Module<Tensor, Tensor>)model).call(x);
                var sums = stack(new[]
                {
                    nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum).to(ScalarType.Float64),
                    logits.argmax(1).ne(y).sum().to(ScalarType.Float64),
                }).cpu().data<double>().ToArray();
                lossSum += sums[0];
                wrong += sums[1];
                samples += (int)y.shape[0];
            }
        }
        var result = new EvaluationResult(step, epoch, name, lossSum / Math.Max(samples, 1), wrong / Math.Max(samples, 1), samples);
        observer.OnEvaluation(result);
        return result;
    }
}
