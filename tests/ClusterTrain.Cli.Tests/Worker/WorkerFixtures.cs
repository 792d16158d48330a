using System.Threading.Channels;
using ClusterTrain.GpuNode.Worker;
using ClusterTrain.Shared.Models;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Cli.Tests.Worker;

/// <summary>Tiny trials for worker processes: CIFAR ResNet-8 of base width 8 on 128 synthetic images, one thread.</summary>
internal static class WorkerFixtures
{
    /// <summary>Guards against a hung child only; no test depends on how fast anything is.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    public static TrialConfig TinyTrial(int steps, bool batchNorm = true, double lr = 0.05, int checkpointEvery = 0) => new(
        Model: new ModelSpec(ModelFamily.CifarResNet, 8, BatchNorm: batchNorm, BaseWidth: 8),
        Data: new DatasetSpec(SyntheticTrainSize: 128, SyntheticTestSize: 32),
        Optimizer: new OptimizerSpec(LearningRate: lr),
        Schedule: new ScheduleSpec(),
        Stats: new StatsSpec(Every: 4, HistogramBins: 8, HistogramMinLog10: -10, HistogramMaxLog10: 2),
        Epochs: 100,
        MaxSteps: steps,
        BatchSize: 16,
        Seed: 3,
        CheckpointEvery: checkpointEvery,
        Threads: 1,
        Device: "cpu");

    /// <summary>clustertrain.dll from this test's output folder, writing every step's event.</summary>
    public static TrialProcessOptions EveryStep { get; } =
        TrialProcessOptions.ClusterTrainDllIn(AppContext.BaseDirectory) with { StepInterval = TimeSpan.Zero };

    public static string TempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "clustertrain-worker-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Events up to and including the first that matches.</summary>
    public static async Task<List<WorkerEvent>> ReadUntil(ChannelReader<WorkerEvent> events, Func<WorkerEvent, bool> match)
    {
        var seen = new List<WorkerEvent>();
        using var guard = new CancellationTokenSource(HangGuard);
        await foreach (var e in events.ReadAllAsync(guard.Token))
        {
            seen.Add(e);
            if (match(e)) return seen;
        }
        throw new InvalidOperationException($"the worker ended without the awaited event; it sent: {string.Join(", ", seen.Select(s => s.GetType().Name))}");
    }

    /// <summary>Every remaining event, once the worker has closed its stdout.</summary>
    public static async Task<List<WorkerEvent>> ReadToEnd(ChannelReader<WorkerEvent> events)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        var seen = new List<WorkerEvent>();
        await foreach (var e in events.ReadAllAsync(guard.Token)) seen.Add(e);
        return seen;
    }

    public static Task<TrialProcessExit> ExitOf(TrialProcess trial) => trial.Exit.WaitAsync(HangGuard);

    public static T Expect<T>(TrialProcessExit exit) where T : TrialProcessExit =>
        exit as T ?? throw new Xunit.Sdk.XunitException($"expected {typeof(T).Name}, got {exit}");
}
