using ClusterTrain.GpuNode.Training;
using ClusterTrain.GpuNode.Worker;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Cli.Tests.Worker;

public class WorkerProtocolTests
{
    private static readonly StepProgress Step = new(12, 40, 1, 0.05, 2.25, 0.8125, 512.5);
    private static readonly EvaluationResult Evaluation = new(40, 4, "test", 2.1, 0.75, 32);
    private static readonly TrialResult Result = new(TrialOutcome.Completed, 40, 40, 2.0, 0.7, 2.1, 0.75, null, 3.5, 480.25, null, 8);

    public static TheoryData<WorkerEvent> EventsWithValueEquality => new()
    {
        new WorkerStep(Step),
        new WorkerSnapshot(Snapshot(layers: 3, seed: 1)),
        new WorkerEvaluation(Evaluation),
        new WorkerCheckpoint(24),
        new WorkerResult(Result),
        new WorkerResult(Result with { Outcome = TrialOutcome.Diverged, DivergedAtStep = 7, TestLoss = null }),
        new WorkerError(WorkerErrorKind.BadConfig, "trial.yaml:3: model.depth: 7 is not 6n+2\r\ntrial.yaml:9: optimizer.lr: -1 is not positive"),
        new WorkerError(WorkerErrorKind.Internal, "ExternalException: CUDA out of memory \"größer\" \u2028 <tab>\t"),
    };

    [Theory]
    [MemberData(nameof(EventsWithValueEquality))]
    public void Every_event_survives_a_round_trip_through_one_line(WorkerEvent original)
    {
        var line = WorkerProtocol.Format(original);
        var parsed = WorkerProtocol.Parse(line);

        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\r', line);
        Assert.Equal(original, parsed);
    }

    [Fact]
    public void The_started_event_opens_with_the_protocol_version_and_keeps_every_field()
    {
        var training = new TrainingStarted("ResNet-8", 19218, "cuda:1", 40, 8, 12, ["conv1.weight", "fc.weight"]);

        var line = WorkerProtocol.Format(new WorkerStarted(training, "sweep-3/t7", 2));
        var parsed = Assert.IsType<WorkerStarted>(WorkerProtocol.Parse(line));

        Assert.StartsWith("{\"event\":\"started\",\"protocol\":1,", line);
        Assert.Equal(("sweep-3/t7", 2), (parsed.TrialId, parsed.Attempt));
        Assert.Equal(training with { WeightLayers = parsed.Training.WeightLayers }, parsed.Training);
        Assert.Equal(training.WeightLayers, parsed.Training.WeightLayers);
    }

    [Fact]
    public void Not_a_number_and_infinities_arrive_as_they_left()
    {
        var step = new WorkerStep(Step with { Loss = double.NaN, LearningRate = double.PositiveInfinity, ImagesPerSecond = double.NegativeInfinity });
        var result = new WorkerResult(Result with { FinalTrainLoss = double.NaN, TestLoss = double.PositiveInfinity });
        var snapshot = Snapshot(layers: 2, seed: 2);
        var layers = snapshot.Layers.ToArray();
        layers[1] = layers[1] with { Mean = double.NaN, Variance = double.NaN, MaxAbs = double.PositiveInfinity, UpdateRatio = double.NegativeInfinity };
        var nonFinite = new WorkerSnapshot(snapshot with { Layers = layers });

        foreach (var original in new WorkerEvent[] { step, result, nonFinite })
        {
            var line = WorkerProtocol.Format(original);
            Assert.Equal(original, WorkerProtocol.Parse(line));
            Assert.Contains("\"NaN\"", line);
            Assert.Contains("Infinity\"", line);
        }
    }

    [Fact]
    public void A_snapshot_of_a_156_layer_net_round_trips_bit_for_bit()
    {
        var original = Snapshot(layers: 156, seed: 3);

        var line = WorkerProtocol.Format(new WorkerSnapshot(original));
        var parsed = Assert.IsType<WorkerSnapshot>(WorkerProtocol.Parse(line)).Snapshot;

        Assert.Equal(original, parsed);
        Assert.Equal(
            original.Layers.SelectMany(l => new[] { l.L2Norm, l.Mean, l.Variance, l.MeanAbs, l.MaxAbs, l.WeightNorm, l.UpdateRatio }).Select(BitConverter.DoubleToInt64Bits),
            parsed.Layers.SelectMany(l => new[] { l.L2Norm, l.Mean, l.Variance, l.MeanAbs, l.MaxAbs, l.WeightNorm, l.UpdateRatio }).Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void A_snapshot_line_of_a_worker_without_training_means_reads_them_as_NaN()
    {
        var line = "{\"event\":\"snapshot\",\"step\":8,\"layers\":[]}";

        var snapshot = Assert.IsType<WorkerSnapshot>(WorkerProtocol.Parse(line)).Snapshot;

        Assert.Equal(8, snapshot.Step);
        Assert.True(double.IsNaN(snapshot.TrainLoss) && double.IsNaN(snapshot.TrainError), $"{snapshot.TrainLoss} {snapshot.TrainError}");
    }

    [Fact]
    public void Another_protocol_version_is_refused_naming_both_versions()
    {
        var line = WorkerProtocol.Format(new WorkerError(WorkerErrorKind.Internal, "boom")).Replace("\"protocol\":1", "\"protocol\":2");

        var error = Assert.Throws<FormatException>(() => WorkerProtocol.Parse(line));

        Assert.Contains("protocol 2", error.Message);
        Assert.Contains("protocol 1", error.Message);
    }

    [Theory]
    [InlineData("training...", "not a JSON object")]
    [InlineData("[1, 2]", "not a JSON object")]
    [InlineData("{\"step\":3}", "no \"event\" name")]
    [InlineData("{\"event\":\"heartbeat\"}", "unknown event 'heartbeat'")]
    [InlineData("{\"event\":\"started\",\"model_name\":\"ResNet-8\"}", "names no protocol version")]
    [InlineData("{\"event\":\"step\",\"step\":3,\"total_steps\":40}", "a 'step' event that does not fit")]
    [InlineData("{\"event\":\"checkpoint\",\"step\":\"three\"}", "a 'checkpoint' event that does not fit")]
    [InlineData("{\"event\":\"error\",\"protocol\":1,\"kind\":\"bad_config\",\"message\":null}", "a 'error' event that does not fit")]
    public void A_line_that_is_no_event_is_refused_saying_why(string line, string expected)
    {
        var error = Assert.Throws<FormatException>(() => WorkerProtocol.Parse(line));

        Assert.Contains(expected, error.Message);
    }

    /// <summary>Statistics spread over many decades, named like a ResNet's weight layers.</summary>
    private static GradientSnapshot Snapshot(int layers, int seed)
    {
        var random = new Random(seed);
        double Wide() => Math.Pow(10, random.NextDouble() * 40 - 30) * (random.Next(2) == 0 ? -1 : 1);
        return new GradientSnapshot(100 + seed, Enumerable.Range(0, layers).Select(i => new LayerGradientStats(
            i, i == layers - 1 ? "fc.weight" : $"layer{1 + i % 4}.{i / 4}.conv{1 + i % 3}.weight", random.NextInt64(1, 1L << 40),
            Math.Abs(Wide()), Wide(), Math.Abs(Wide()), Math.Abs(Wide()), Math.Abs(Wide()), random.Next(3),
            Math.Abs(Wide()), Math.Abs(Wide()), Enumerable.Range(0, 10).Select(_ => random.NextInt64(0, 1L << 40)).ToArray())).ToArray(),
            TrainLoss: Math.Abs(Wide()), TrainError: random.NextDouble());
    }
}
