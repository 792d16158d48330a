using ClusterTrain.Coordinator.Cluster.Internal;

namespace ClusterTrain.Cluster.Tests.Coordinator;

public class SnapshotScheduleTests
{
    [Theory]
    [InlineData(999, 0, false)]
    [InlineData(1000, 0, true)]
    [InlineData(1999, 1000, false)]
    [InlineData(2000, 1000, true)]
    [InlineData(7999, 4000, false)]
    [InlineData(8000, 4000, true)]
    public void Snapshots_are_spaced_by_the_setting_and_at_least_by_what_the_previous_one_covered(long sequenceNr, long lastSnapshotAt, bool due) =>
        Assert.Equal(due, SnapshotSchedule.IsDue(sequenceNr, lastSnapshotAt, every: 1000));

    [Fact]
    public void A_long_journal_gets_logarithmically_many_snapshots()
    {
        var taken = new List<long>();
        long last = 0;
        for (long sequenceNr = 1; sequenceNr <= 400_000; sequenceNr++)
            if (SnapshotSchedule.IsDue(sequenceNr, last, every: 1000)) taken.Add(last = sequenceNr);

        Assert.Equal([1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000], taken);
    }

    [Fact]
    public void A_setting_of_zero_takes_none() => Assert.False(SnapshotSchedule.IsDue(1_000_000, 0, every: 0));
}
