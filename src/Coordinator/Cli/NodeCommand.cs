using System.CommandLine;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.GpuNode.Cluster;
using ClusterTrain.GpuNode.Worker;
using AkkaLogLevel = Akka.Event.LogLevel;

namespace ClusterTrain.Coordinator.Cli;

/// <summary>
/// <c>clustertrain node --seed-nodes akka.tcp://clustertrain@H:P [--slots N] [--checkpoint-root DIR] [--simulate-training S]</c>: a GPU-node
/// member, serving until Ctrl-C or SIGTERM. Settings come from appsettings.json and CLUSTERTRAIN_* environment
/// variables (docs/configuration.md); the options win. A node cut off from the coordinator downs itself (split brain
/// resolver); this command then starts a fresh member and joins again, so a restarted coordinator finds its nodes.
/// </summary>
public static class NodeCommand
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(60);

    public static Command Build()
    {
        var seeds = new Option<string[]>("--seed-nodes") { Description = "Members to join, e.g. akka.tcp://clustertrain@coordinator:4053.", AllowMultipleArgumentsPerToken = true };
        var slots = new Option<int?>("--slots") { Description = "CPU slots (concurrent trials); default one per CUDA device, else 1." };
        var checkpointRoot = new Option<DirectoryInfo?>("--checkpoint-root") { Description = "Where this node reaches the shared checkpoint folder, if not at the coordinator's path." };
        var port = new Option<int?>("--port") { Description = "TCP port (default 0: a free one)." };
        var hostname = new Option<string?>("--hostname") { Description = "Address to bind (default 127.0.0.1)." };
        var simulate = new Option<double?>("--simulate-training")
        {
            Description = "Benchmarks: trials sleep this many seconds instead of training, sending the real messages and statistics.",
        };
        var command = new Command("node", "Run a GPU-node member: its slots pull trials from the coordinator and train them in child processes.")
        {
            seeds, slots, checkpointRoot, port, hostname, simulate,
        };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(seeds) ?? [], parse.GetValue(slots), parse.GetValue(checkpointRoot), parse.GetValue(port),
            parse.GetValue(hostname), parse.GetValue(simulate)));
        return command;
    }

    private static async Task<int> RunAsync(string[] seeds, int? slots, DirectoryInfo? checkpointRoot, int? port, string? hostname, double? simulate)
    {
        var configuration = ClusterTrainConfiguration.Load();
        var cluster = ClusterTrainConfiguration.Cluster(configuration);
        var node = ClusterTrainConfiguration.Node(configuration);
        if (seeds.Length > 0) cluster.SeedNodes = [.. seeds];
        if (port is { } p) cluster.Port = p;
        if (hostname is not null) cluster.Hostname = hostname;
        if (slots is not null) node.Slots = slots;
        if (checkpointRoot is not null) node.CheckpointRoot = checkpointRoot.FullName;
        if (simulate is not null) node.SimulatedTrialSeconds = simulate;
        var problems = cluster.Check(ClusterRoles.Gpu).Concat(node.Check()).ToList();
        if (problems.Count > 0)
        {
            Console.Error.WriteLine($"error: the node cannot start ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):");
            foreach (var problem in problems) Console.Error.WriteLine($"  {problem}");
            return ExitCodes.BadInput;
        }

        using var interrupt = new ConsoleInterrupt("node stopping: its trials checkpoint, then it leaves the cluster");
        var process = TrialProcessOptions.CurrentProgram();
        while (!interrupt.Token.IsCancellationRequested)
        {
            var shutdowns = new TrialShutdowns();
            ClusterHost member;
            try
            {
                member = await ClusterHosts.StartNodeAsync(cluster, node, process, shutdowns, AkkaLogLevel.InfoLevel, JoinTimeout);
            }
            catch (TimeoutException e)
            {
                Console.Error.WriteLine($"node: {e.Message}; trying again");
                continue;
            }
            Console.WriteLine($"node up at {member.Address}");
            await Task.WhenAny(Task.Delay(Timeout.Infinite, interrupt.Token).ContinueWith(_ => { }, TaskScheduler.Default), member.Terminated);
            var downed = !interrupt.Token.IsCancellationRequested;
            // Disposing runs CoordinatedShutdown: the trials stop, each writing its checkpoint, before the member leaves
            // (NodeHosting.AddGpuNode). The second wait covers a trial that outlasted the first one's bound.
            await member.DisposeAsync();
            await shutdowns.WhenAllEndedAsync();
            if (downed) Console.WriteLine("node: removed from the cluster; joining again");
        }
        Console.WriteLine("node stopped");
        return ExitCodes.Interrupted;
    }
}
