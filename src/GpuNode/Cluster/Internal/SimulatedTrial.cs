using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using ClusterTrain.GpuNode.Training;
using ClusterTrain.GpuNode.Worker;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Models;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.GpuNode.Cluster.Internal;

/// <summary>
/// A trial that trains by sleeping (<see cref="NodeOptions.SimulatedTrialSeconds"/>): it sends what a trial worker
/// sends, in the same order, spread over that time: started, step progress (thinned to about one a second, as the
/// worker does), a gradient snapshot at step 0 and every <c>stats.every</c> steps, then a Completed result. The
/// snapshots have the real size: every weight layer of a CIFAR ResNet of the trial's depth (ResNet-20 for other
/// families) with a full histogram, so the coordinator stores and aggregates real payloads. Nothing touches the
/// disk or starts a process; waits are timers on the thread pool, so the slot's mailbox never blocks.
/// </summary>
internal sealed class SimulatedTrial : ITrialRun
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(1);

    private readonly Channel<WorkerEvent> _events = Channel.CreateUnbounded<WorkerEvent>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly TrialConfig _config;
    private readonly TimeSpan _duration;
    private readonly long _totalSteps;

    private SimulatedTrial(TrialConfig config, TimeSpan duration)
    {
        _config = config;
        _duration = duration;
        _totalSteps = TotalSteps(config);
        Exit = Task.Run(RunAsync);
    }

    public string Description => $"simulated, {_duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";

    public ChannelReader<WorkerEvent> Events => _events.Reader;

    public Task<TrialProcessExit> Exit { get; }

    public static SimulatedTrial Start(TrialConfig config, TimeSpan duration) => new(config, duration);

    /// <summary>max_steps, else the epochs over train_limit or the synthetic set's size (a real dataset is not read here).</summary>
    public static long TotalSteps(TrialConfig config)
    {
        if (config.MaxSteps is { } max) return Math.Max(1, max);
        var images = config.Data.TrainLimit ?? config.Data.SyntheticTrainSize;
        return Math.Max(1, (long)config.Epochs * ((images + config.BatchSize - 1) / config.BatchSize));
    }

    /// <summary>Stops at the next wake-up with an Interrupted result; there is nothing to checkpoint, so no grace is needed.</summary>
    public Task<TrialProcessExit> StopAsync(TimeSpan grace)
    {
        _stop.Cancel();
        return Exit;
    }

    public void Dispose()
    {
        _stop.Cancel();
        Exit.Wait(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    private async Task<TrialProcessExit> RunAsync()
    {
        var clock = Stopwatch.StartNew();
        var model = _config.Model;
        var layers = LayerTemplate(_config);
        _events.Writer.TryWrite(new WorkerStarted(new TrainingStarted(
            model.DisplayName + " (simulated)", layers.Sum(l => l.Count), "simulated", _totalSteps,
            (int)Math.Min(int.MaxValue, _totalSteps), 0, layers.Select(l => l.Name).ToList())));
        var step = 0L;
        var lastProgress = TimeSpan.Zero;
        var interrupted = false;
        try
        {
            // Step k ends at duration * k / total. Waking only for snapshots, progress and the end keeps a thousand
            // slots of short trials from flooding the timers.
            for (var k = 1L; k <= _totalSteps; k++)
            {
                var snapshotStep = (k - 1) % _config.Stats.Every == 0;
                var due = _duration * ((double)k / _totalSteps);
                var progress = due - lastProgress >= ProgressEvery || k == _totalSteps;
                if (!snapshotStep && !progress) continue;
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait, _stop.Token).ConfigureAwait(false);
                step = k;
                if (snapshotStep) _events.Writer.TryWrite(new WorkerSnapshot(Snapshot(layers, k - 1)));
                if (progress || snapshotStep)
                {
                    lastProgress = due;
                    _events.Writer.TryWrite(new WorkerStep(new StepProgress(k, _totalSteps, 0, _config.Optimizer.LearningRate,
                        Loss(k), Error(k), ImagesPerSecond)));
                }
            }
        }
        catch (OperationCanceledException)
        {
            interrupted = true;
        }
        var result = new TrialResult(interrupted ? TrialOutcome.Interrupted : TrialOutcome.Completed, step, _totalSteps,
            Loss(step), Error(step), interrupted ? null : Loss(step) * 1.1, interrupted ? null : Math.Min(1, Error(step) * 1.1),
            null, clock.Elapsed.TotalSeconds, ImagesPerSecond, null, 0);
        _events.Writer.TryWrite(new WorkerResult(result));
        _events.Writer.TryComplete();
        return new TrialProcessExit.Finished(result, 0, "");
    }

    private double ImagesPerSecond => _totalSteps * _config.BatchSize / Math.Max(_duration.TotalSeconds, 1e-9);

    // A plausible, deterministic curve: loss from ln(classes) down, error from chance down.
    private double Loss(long step) => Math.Log(_config.Model.Classes) * (0.3 + 0.7 * Math.Exp(-3.0 * step / _totalSteps));

    private double Error(long step) => (1 - 1.0 / _config.Model.Classes) * (0.3 + 0.7 * Math.Exp(-3.0 * step / _totalSteps));

    /// <summary>The weight layers of a CIFAR ResNet (option A: shortcuts add no weights) with their element counts.</summary>
    private static IReadOnlyList<(string Name, long Count)> LayerTemplate(TrialConfig config)
    {
        var model = config.Model.Family == ModelFamily.CifarResNet ? config.Model : new ModelSpec(ModelFamily.CifarResNet, 20);
        var blocks = Math.Max(1, (model.Depth - 2) / 6);
        long width = model.EffectiveBaseWidth;
        var layers = new List<(string, long)> { ("conv1.weight", model.InputChannels * width * 9) };
        var inWidth = width;
        for (var stage = 0; stage < 3; stage++)
        {
            var outWidth = width << stage;
            for (var b = 0; b < blocks; b++)
            {
                layers.Add(($"layer{stage + 1}.{b}.conv1.weight", (b == 0 ? inWidth : outWidth) * outWidth * 9));
                layers.Add(($"layer{stage + 1}.{b}.conv2.weight", outWidth * outWidth * 9));
            }
            inWidth = outWidth;
        }
        layers.Add(("fc.weight", inWidth * model.Classes));
        return layers;
    }

    /// <summary>Statistics of the shape the collector produces, gradients shrinking towards the input; the histogram holds every element.</summary>
    private GradientSnapshot Snapshot(IReadOnlyList<(string Name, long Count)> layers, long step)
    {
        var stats = _config.Stats;
        var bins = stats.HistogramBins + 2;
        var result = new LayerGradientStats[layers.Count];
        for (var i = 0; i < layers.Count; i++)
        {
            var (name, count) = layers[i];
            var scale = Math.Pow(10, -3 + 2.0 * i / layers.Count) * (1 + 0.1 * Math.Sin(step + i));
            var histogram = new long[bins];
            // Counts around log10(scale), spread over a few bins; the remainder lands in the centre.
            var centre = Math.Clamp((int)Math.Round((Math.Log10(scale) - stats.HistogramMinLog10) /
                (stats.HistogramMaxLog10 - stats.HistogramMinLog10) * stats.HistogramBins) + 1, 1, bins - 2);
            long placed = 0;
            for (var d = -3; d <= 3; d++)
            {
                var bin = Math.Clamp(centre + d, 0, bins - 1);
                var share = (long)(count * Math.Exp(-d * d / 2.0) / 2.5066);
                histogram[bin] += share;
                placed += share;
            }
            histogram[centre] += count - placed;
            var rms = scale;
            result[i] = new LayerGradientStats(i, name, count, rms * Math.Sqrt(count), 0.01 * rms, rms * rms, 0.8 * rms, 4 * rms, 0,
                Math.Sqrt(count) * 0.05, 1e-3, histogram);
        }
        return new GradientSnapshot(step, result);
    }
}
