using ClusterTrain.Cluster.Tests.Infrastructure;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.Cluster.Wire;
using Google.Protobuf;
using ClusterTrain.Shared.Sweeps;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Cluster.Tests.Protocol;

public class ProtocolCodecTests
{
    private static readonly StepProgress Progress = new(41, 100, 2, 0.05, 1.25, 0.5, 1234.5);

    /// <summary>One instance of every protocol type, optional parts both present and absent.</summary>
    public static IEnumerable<object[]> Samples() => new object[]
    {
        new RequestWork(1, "cuda:1"),
        new StartTrial("sw", "tr", 2, "model: { family: cifar-resnet, depth: 20 }\n", "/ckpt/sw/tr", "ResNet-20"),
        NoWorkAvailable.Instance,
        WorkAvailable.Instance,
        new TrialStarted("sw", "tr", 2, 50),
        new TrialProgressed("sw", "tr", 2, Progress),
        new GradientStatsBatch("sw", "tr", 2, 7, [Stats.Snapshot(10, layers: 3), Stats.Snapshot(0, layers: 1, histogramSlots: 0)]),
        new GradientStatsBatchAccepted("sw", "tr", 2, 7),
        new TrialFinished("sw", "tr", 2, Stats.Completed()),
        new TrialFinished("sw", "tr", 2, new TrialResult(TrialOutcome.Diverged, 17, 100, double.NaN, double.NaN, null, null, 0.5, 3, 99, 17, 10)),
        new TrialFinishedAccepted("sw", "tr", 2),
        new TrialCrashed("sw", "tr", 2, "exit code 139"),
        new CancelTrial("sw", "tr", 2, "sweep cancelled"),
        new TrialStillRunning("sw", "tr", 2),
        new SubmitSweep("name: s\n", "sweep.yaml"),
        new SubmitSweep("name: s\n", "sweep.yaml", "/specs"),
        new SweepAccepted("sw", "s", 4, true),
        new SweepRejected("sweep.yaml", ["sweep.yaml:1: grid: empty", "sweep.yaml:2: lr: -1 is not positive"]),
        new GetSweepStatus("sw", 200, 50),
        new SweepStatus("sw", "s", false, new SweepCounts(1, 1, 1, 0, 1, 0),
        [
            new TrialReport("a", 0, "ResNet-20", TrialState.Running, 1, new TrialSlot("akka.tcp://clustertrain@h:1", 0, "cpu"), null, Progress, null),
            new TrialReport("b", 1, "ResNet-32", TrialState.Completed, 2, null, "attempt 1 lost", null, Stats.Completed()),
            new TrialReport("c", 2, "Plain-20", TrialState.Pending, 0, null, null, null, null),
            new TrialReport("d", 3, "Plain-32", TrialState.Failed, 3, null, "no attempts left", null, null),
        ]),
        new CancelSweep("sw", "user asked"),
        new SweepCancellationAccepted("sw", 3),
        new UnknownSweep("sw"),
        new SweepSubmitted("sw", "name: s\n", "sweep.yaml", "/specs"),
        new TrialAssigned("sw", "tr", 1, "akka.tcp://clustertrain@h:1", 0, "cuda:0", "akka.tcp://clustertrain@h:1/user/slot-0"),
        new StatsBatchRecorded("sw", "tr", 1, 3, [Stats.Snapshot(20, layers: 2)]),
        new StatsBatchRecorded("sw", "tr", 1, 4, [Stats.Snapshot(30, layers: 2) with { TrainLoss = double.NaN, TrainError = double.PositiveInfinity }]),
        new TrialEnded("sw", "tr", 1, Stats.Completed()),
        new TrialAttemptLost("sw", "tr", 1, AttemptLoss.NodeLost, "node left"),
        new TrialAttemptLost("sw", "tr", 1, AttemptLoss.Crashed, "exit code 1"),
        new TrialAttemptLost("sw", "tr", 1, AttemptLoss.NodeLeft, "scale-down"),
        new SweepCancelled("sw", "user asked"),
        new CoordinatorSnapshot([
            new SweepSnapshot(new SweepSubmitted("sw", "name: s\n", "sweep.yaml", "/specs"), Cancelled: false,
                [
                    new TrialStateSnapshot("tr", new TrialStatus(TrialState.Running, 3, new TrialSlot("akka.tcp://clustertrain@h:1", 0, "cpu"), "resumed", Released: 1),
                        null, "akka.tcp://clustertrain@h:1/user/slot-0", 2, [new AttemptStep(2, Stats.Snapshot(0, layers: 2)), new AttemptStep(3, Stats.Snapshot(10, layers: 2))]),
                    new TrialStateSnapshot("tr2", new TrialStatus(TrialState.Completed, 1), Stats.Completed(), null, 0, []),
                ],
                ["tr2"]),
        ]),
    }.Select(m => new[] { m });

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_protocol_message_survives_encoding_and_decoding(object message)
    {
        var bytes = ProtocolCodec.Encode(message);

        var decoded = ProtocolCodec.Decode(bytes, ProtocolCodec.ManifestOf(message));

        Assert.Equal(message, decoded);
    }

    [Fact]
    public void Every_protocol_type_has_a_sample_in_these_tests()
    {
        var sampled = Samples().Select(s => s[0].GetType()).ToHashSet();

        Assert.All(ProtocolCodec.MessageTypes, type => Assert.Contains(type, sampled));
    }

    [Fact]
    public void Every_manifest_is_distinct()
    {
        var manifests = Samples().Select(s => s[0]).DistinctBy(m => m.GetType()).Select(ProtocolCodec.ManifestOf).ToList();

        Assert.Equal(manifests.Count, manifests.Distinct().Count());
    }

    [Fact]
    public void A_statistics_batch_journalled_before_snapshots_carried_training_means_reads_them_as_NaN()
    {
        // What an older build stored: the snapshot message without fields 3 and 4.
        var old = new GradientStatsBatchData
        {
            SweepId = "sw", TrialId = "tr", Attempt = 1, SequenceNr = 1,
            Snapshots = { new GradientSnapshotData { Step = 40, Layers = { new LayerStatsData { Index = 0, Name = "conv1.weight", Count = 3 } } } },
        };

        var decoded = (StatsBatchRecorded)ProtocolCodec.Decode(old.ToByteArray(), ProtocolCodec.ManifestOf(new StatsBatchRecorded("sw", "tr", 1, 1, [])));

        var snapshot = Assert.Single(decoded.Snapshots);
        Assert.Equal(40, snapshot.Step);
        Assert.True(double.IsNaN(snapshot.TrainLoss) && double.IsNaN(snapshot.TrainError), $"{snapshot.TrainLoss} {snapshot.TrainError}");
        Assert.Equal("conv1.weight", Assert.Single(snapshot.Layers).Name);
    }

    [Fact]
    public void A_type_outside_the_protocol_cannot_be_encoded()
    {
        var error = Assert.Throws<ArgumentException>(() => ProtocolCodec.Encode(new Uri("http://localhost")));

        Assert.Contains("System.Uri is not a ClusterTrain protocol message", error.Message);
    }

    [Fact]
    public void An_unknown_manifest_is_refused_by_name()
    {
        var error = Assert.Throws<ArgumentException>(() => ProtocolCodec.Decode([], "LaunchMissiles"));

        Assert.Contains("'LaunchMissiles' is not a ClusterTrain protocol manifest", error.Message);
    }

    [Fact]
    public void Bytes_that_are_not_a_message_are_refused_naming_the_manifest()
    {
        var error = Assert.Throws<InvalidDataException>(() => ProtocolCodec.Decode([0xFF, 0xFF, 0xFF], "StartTrial"));

        Assert.Contains("not a valid 'StartTrial' message", error.Message);
    }

    [Fact]
    public void A_result_message_without_its_result_is_refused()
    {
        // A TrialFinished with every field but the result: what a truncated or foreign sender might produce.
        var bytes = ProtocolCodec.Encode(new TrialFinishedAccepted("sw", "tr", 1));

        var error = Assert.Throws<InvalidDataException>(() => ProtocolCodec.Decode(bytes, "TrialFinished"));

        Assert.Contains("'TrialFinished' message lacks its 'result'", error.Message);
    }

    [Fact]
    public void An_unknown_enum_value_is_refused_naming_the_field()
    {
        // Field 4 (loss) of TrialAttemptLost set to 9: a value this version does not know.
        var bytes = ProtocolCodec.Encode(new TrialAttemptLost("sw", "tr", 1, AttemptLoss.Crashed, "x"));
        var lossAt = Array.IndexOf(bytes, (byte)0x20);
        bytes[lossAt + 1] = 9;

        var error = Assert.Throws<InvalidDataException>(() => ProtocolCodec.Decode(bytes, "TrialAttemptLost"));

        Assert.Contains("unknown 'loss': 9", error.Message);
    }
}
