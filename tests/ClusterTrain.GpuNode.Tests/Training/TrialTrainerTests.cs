using ClusterTrain.GpuNode.Training;
using ClusterTrain.Shared.Models;
using ClusterTrain.Shared.Training;
using static ClusterTrain.GpuNode.Tests.Training.TrainingFixtures;

namespace ClusterTrain.GpuNode.Tests.Training;

// Alone in its collection: the resident-memory test must not see other tests' allocations.
[Collection(nameof(MemorySensitive))]
public class TrialTrainerTests
{
    [Fact]
    public void Training_lowers_the_loss_and_reports_every_step_snapshot_and_evaluation()
    {
        // 64 un-augmented images seen 10 times: a net that learns at all fits them.
        var config = TinyTrial(steps: 40, lr: 0.05) with
        {
            Data = TinyTrial().Data with { SyntheticTrainSize = 64, Augment = false },
        };
        var observer = new RecordingObserver();

        var result = new TrialTrainer(config, TempFolder()).Run(observer);

        Assert.Equal(TrialOutcome.Completed, result.Outcome);
        Assert.Equal(40, result.Steps);
        Assert.Equal(40, observer.Steps.Count);
        Assert.Equal([0L, 4, 8, 12, 16, 20, 24, 28, 32, 36], observer.Snapshots.Select(s => s.Step));
        var early = observer.Steps.Take(8).Average(s => s.Loss);
        var late = observer.Steps.TakeLast(8).Average(s => s.Loss);
        Assert.True(late < early * 0.6, $"loss went from {early:F3} to {late:F3}");
        Assert.Contains(observer.Evaluations, e => e.Split == "test" && e.Step == 40 && e.Samples == 64);
        Assert.NotNull(result.TestError);
    }

    [Fact]
    public void Each_snapshot_carries_the_mean_training_loss_and_error_of_the_steps_since_the_previous_one()
    {
        var observer = new RecordingObserver();

        new TrialTrainer(TinyTrial(steps: 10), TempFolder()).Run(observer);

        // Snapshots at step indices 0, 4, 8 (every 4); progress i reports step index i. Each snapshot covers
        // the steps after the previous snapshot up to its own: [0], [1..4], [5..8].
        Assert.Equal([0L, 4, 8], observer.Snapshots.Select(s => s.Step));
        var covered = new[] { (From: 0, To: 0), (From: 1, To: 4), (From: 5, To: 8) };
        foreach (var (snapshot, (from, to)) in observer.Snapshots.Zip(covered))
        {
            var steps = observer.Steps.Skip(from).Take(to - from + 1).ToList();
            Assert.Equal(steps.Average(s => s.Loss), snapshot.TrainLoss, 12);
            Assert.Equal(steps.Average(s => s.BatchError), snapshot.TrainError, 12);
        }
        Assert.NotEqual(observer.Snapshots[1].TrainLoss, observer.Steps[4].Loss);
    }

    [Fact]
    public void Runs_with_the_same_seed_end_with_bitwise_identical_weights()
    {
        var config = TinyTrial(steps: 8);
        var first = TempFolder();
        var second = TempFolder();

        new TrialTrainer(config, first).Run(new RecordingObserver());
        new TrialTrainer(config, second).Run(new RecordingObserver());

        Assert.Equal(CheckpointWeights(first), CheckpointWeights(second));
    }

    [Fact]
    public void Runs_with_different_seeds_differ()
    {
        var first = TempFolder();
        var second = TempFolder();

        new TrialTrainer(TinyTrial(steps: 4, seed: 1), first).Run(new RecordingObserver());
        new TrialTrainer(TinyTrial(steps: 4, seed: 2), second).Run(new RecordingObserver());

        Assert.NotEqual(CheckpointWeights(first), CheckpointWeights(second));
    }

    [Fact]
    public void A_resumed_run_ends_with_the_same_weights_as_an_uninterrupted_one()
    {
        var config = TinyTrial(steps: 12) with { CheckpointEvery = 4, Data = TinyTrial().Data with { TrainLimit = 128 } };
        var uninterrupted = TempFolder();
        new TrialTrainer(config, uninterrupted).Run(new RecordingObserver());

        var interrupted = TempFolder();
        using var stop = new CancellationTokenSource();
        var firstPart = new TrialTrainer(config, interrupted).Run(new RecordingObserver
        {
            AfterStep = p => { if (p.Step == 6) stop.Cancel(); },
        }, stop.Token);
        var resumedObserver = new RecordingObserver();
        var resumed = new TrialTrainer(config, interrupted).Run(resumedObserver);

        Assert.Equal(TrialOutcome.Interrupted, firstPart.Outcome);
        Assert.Equal(6, firstPart.Steps);
        Assert.Equal(6, resumed.ResumedFromStep);
        Assert.Equal(7, resumedObserver.Steps[0].Step);
        Assert.Equal(TrialOutcome.Completed, resumed.Outcome);
        Assert.Equal(CheckpointWeights(uninterrupted), CheckpointWeights(interrupted));
    }

    [Fact]
    public void Running_a_finished_trial_again_trains_nothing_and_still_reports_its_test_error()
    {
        var config = TinyTrial(steps: 4);
        var folder = TempFolder();
        var first = new TrialTrainer(config, folder).Run(new RecordingObserver());

        var observer = new RecordingObserver();
        var again = new TrialTrainer(config, folder).Run(observer);

        Assert.Empty(observer.Steps);
        Assert.Equal(TrialOutcome.Completed, again.Outcome);
        Assert.Equal(4, again.ResumedFromStep);
        Assert.Equal(first.TestError, again.TestError);
        Assert.Equal(first.TestLoss, again.TestLoss);
    }

    [Fact]
    public void A_checkpoint_of_another_trial_is_refused_with_the_file_named()
    {
        var folder = TempFolder();
        new TrialTrainer(TinyTrial(steps: 2), folder).Run(new RecordingObserver());

        var error = Assert.Throws<InvalidDataException>(() =>
            new TrialTrainer(TinyTrial(steps: 2, seed: 99), folder).Run(new RecordingObserver()));

        Assert.Contains(Checkpoint.PathIn(folder), error.Message);
        Assert.Contains("another trial", error.Message);
    }

    [Fact]
    public void A_corrupt_checkpoint_is_reported_not_trained_over()
    {
        var folder = TempFolder();
        File.WriteAllBytes(Checkpoint.PathIn(folder), [1, 2, 3]);

        var error = Assert.Throws<InvalidDataException>(() => new TrialTrainer(TinyTrial(steps: 2), folder).Run(new RecordingObserver()));

        Assert.Contains(Checkpoint.PathIn(folder), error.Message);
        Assert.Equal(3, new FileInfo(Checkpoint.PathIn(folder)).Length);
    }

    [Fact]
    public void A_diverging_trial_ends_as_diverged_with_its_step_instead_of_crashing()
    {
        // A residual net without batch norm under He init overflows quickly at a large learning rate.
        var config = TinyTrial(depth: 20, batchNorm: false, steps: 30, lr: 5.0);
        var observer = new RecordingObserver();

        var result = new TrialTrainer(config, TempFolder()).Run(observer);

        Assert.Equal(TrialOutcome.Diverged, result.Outcome);
        Assert.NotNull(result.DivergedAtStep);
        Assert.True(result.DivergedAtStep < 30);
        Assert.Equal(result.Steps + 1, result.DivergedAtStep);
        Assert.False(double.IsFinite(observer.Steps[^1].Loss));
        Assert.Equal(result.DivergedAtStep, observer.Steps[^1].Step);
        Assert.Equal(result.Steps, observer.Snapshots[^1].Step);
    }

    [Fact]
    public void Live_tensors_and_resident_memory_stay_flat_over_200_steps()
    {
        var config = TinyTrial(steps: 200) with { EvalEvery = 50 };
        long? liveAtStep50 = null, liveAtStep200 = null, rssAtStep50 = null, rssAtStep200 = null;
        var observer = new RecordingObserver
        {
            AfterStep = p =>
            {
                if (p.Step == 50) (liveAtStep50, rssAtStep50) = (LiveTensors(), ResidentBytes());
                if (p.Step == 200) (liveAtStep200, rssAtStep200) = (LiveTensors(), ResidentBytes());
            },
        };

        new TrialTrainer(config, TempFolder()).Run(observer);

        Assert.NotNull(liveAtStep50);
        Assert.Equal(liveAtStep50, liveAtStep200);
        // One leaked input batch per step would add 150 x 196 KB = 29 MB; allocator noise is a few MB.
        var growthMegabytes = (rssAtStep200!.Value - rssAtStep50!.Value) / 1048576.0;
        Assert.True(growthMegabytes < 16, $"resident memory grew {growthMegabytes:F1} MB between steps 50 and 200");

        static long LiveTensors() => TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        static long ResidentBytes()
        {
            using var process = System.Diagnostics.Process.GetCurrentProcess();
            return process.WorkingSet64;
        }
    }

    /// <summary>Every parameter of the model saved in the folder's checkpoint, flattened in order.</summary>
    private static float[] CheckpointWeights(string folder)
    {
        var spec = TinyTrial().Model;
        using var model = GpuNode.Models.ModelFactory.Create(spec);
        using var optimizer = OptimizerFactory.Create(model, TinyTrial().Optimizer);
        Checkpoint.Load(folder, model, optimizer);
        return model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
    }
}

[CollectionDefinition(nameof(MemorySensitive), DisableParallelization = true)]
public sealed class MemorySensitive;
