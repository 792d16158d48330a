using ClusterTrain.Shared.Sweeps;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Shared.Tests.Sweeps;

public class SchedulerTests
{
    private static TrialSpec Trial(int index) =>
        new($"trial-{index}", index, TrialParameters.Defaults, new Dictionary<string, string>(), 0, $"config-{index}", "ResNet-20");

    private static List<TrialSpec> Trials(params int[] indexes) => indexes.Select(Trial).ToList();

    private static List<TrialSlot> Slots(string node, int count) =>
        Enumerable.Range(0, count).Select(i => new TrialSlot(node, i, $"cuda:{i}")).ToList();

    private static List<(int Trial, string Node, int Slot)> Decide(
        IEnumerable<TrialSpec> pending, IEnumerable<TrialSlot> free, int running = 0, int limit = 0) =>
        Scheduler.NextAssignments(pending, free, running, limit).Select(a => (a.Trial.Index, a.Slot.Node, a.Slot.Index)).ToList();

    [Fact]
    public void Trials_start_lowest_index_first_whatever_order_they_come_in()
    {
        Assert.Equal([(2, "a", 0), (5, "a", 1)], Decide(Trials(9, 5, 2), Slots("a", 2)));
    }

    [Fact]
    public void No_more_trials_start_than_there_are_free_slots()
    {
        Assert.Equal(3, Decide(Trials(0, 1, 2, 3, 4), Slots("a", 3)).Count);
    }

    [Fact]
    public void Every_free_slot_gets_a_trial_when_enough_are_pending()
    {
        Assert.Equal([(0, "a", 0), (1, "a", 1)], Decide(Trials(0, 1), Slots("a", 4)));
    }

    [Fact]
    public void The_concurrency_limit_counts_the_trials_already_running()
    {
        Assert.Equal([(0, "a", 0)], Decide(Trials(0, 1, 2), Slots("a", 4), running: 2, limit: 3));
        Assert.Empty(Decide(Trials(0, 1, 2), Slots("a", 4), running: 3, limit: 3));
        Assert.Empty(Decide(Trials(0, 1, 2), Slots("a", 4), running: 5, limit: 3));
    }

    [Fact]
    public void A_concurrency_limit_of_zero_is_no_limit()
    {
        Assert.Equal(4, Decide(Trials(0, 1, 2, 3, 4), Slots("a", 4), running: 100, limit: 0).Count);
    }

    [Fact]
    public void Two_nodes_both_get_work_the_one_with_more_free_slots_first()
    {
        var free = Slots("a", 1).Concat(Slots("b", 3)).ToList();

        Assert.Equal([(0, "b", 0), (1, "a", 0)], Decide(Trials(0, 1), free));
        Assert.Equal([(0, "b", 0), (1, "a", 0), (2, "b", 1), (3, "b", 2)], Decide(Trials(0, 1, 2, 3, 4), free));
    }

    [Fact]
    public void Nodes_with_as_many_free_slots_take_turns_by_name()
    {
        var free = Slots("c", 2).Concat(Slots("a", 2)).Concat(Slots("b", 2)).ToList();

        Assert.Equal([(0, "a", 0), (1, "b", 0), (2, "c", 0), (3, "a", 1)], Decide(Trials(0, 1, 2, 3), free));
    }

    [Fact]
    public void Slots_of_a_node_are_used_in_index_order()
    {
        var free = new[] { new TrialSlot("a", 3, "cuda:3"), new TrialSlot("a", 1, "cuda:1") };

        Assert.Equal([(0, "a", 1), (1, "a", 3)], Decide(Trials(0, 1), free));
    }

    [Fact]
    public void Nothing_starts_without_pending_trials_or_free_slots()
    {
        Assert.Empty(Decide([], Slots("a", 2)));
        Assert.Empty(Decide(Trials(0), []));
    }

    [Fact]
    public void A_negative_count_is_a_programming_error()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Scheduler.NextAssignments(Trials(0), Slots("a", 1), -1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Scheduler.NextAssignments(Trials(0), Slots("a", 1), 0, -1));
    }
}
