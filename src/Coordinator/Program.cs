using ClusterTrain.Coordinator.Cli;

return await ClusterTrainCli.RunAsync(args);
