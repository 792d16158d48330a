using System.Text;
using Akka.Actor;
using ClusterTrain.Api.V1;
using ClusterTrain.Coordinator.Cli;
using Google.Protobuf;
using Grpc.Core;
using Status = Grpc.Core.Status;
using Core = ClusterTrain.Shared.Cluster;

namespace ClusterTrain.Coordinator.Api;

/// <summary>The gRPC API (clustertrain_api.proto) over the sweep coordinator singleton of this process.</summary>
public sealed class SweepApiService(ApiServices services) : SweepApi.SweepApiBase
{
    private const int ChunkBytes = 64 * 1024;

    private IActorRef Coordinator => services.Coordinator;

    public override async Task<SubmitSweepReply> SubmitSweep(SubmitSweepRequest request, ServerCallContext context)
    {
        var bytes = Encoding.UTF8.GetByteCount(request.SpecYaml);
        if (bytes > services.Options.MaxSpecBytes)
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"the spec is {bytes:N0} bytes, over this coordinator's limit of {services.Options.MaxSpecBytes:N0} bytes ({ApiOptions.Section}:{nameof(ApiOptions.MaxSpecBytes)})"));
        var source = request.SourceName.Length == 0 ? "spec.yaml" : Path.GetFileName(request.SourceName);
        // Relative dataset paths in a remote spec resolve on the coordinator, against its output folder.
        var reply = await Coordinator.Ask<Core.ISweepReply>(new Core.SubmitSweep(request.SpecYaml, source, services.OutputFolder),
            SweepClient.AskTimeout, context.CancellationToken);
        switch (reply)
        {
            case Core.SweepAccepted accepted:
                await services.Feeds.RefreshAsync(context.CancellationToken);
                return new SubmitSweepReply
                {
                    SweepId = accepted.SweepId, Name = accepted.Name, TrialCount = accepted.TrialCount, AlreadyKnown = accepted.AlreadyKnown,
                };
            case Core.SweepRejected rejected:
                var refusal = new SubmitSweepReply { Problems = { rejected.Problems } };
                // A path that reads on the submitter's machine, relative to the spec file, means nothing here.
                if (rejected.Problems.Any(p => p.Contains("does not exist", StringComparison.Ordinal)))
                    refusal.Problems.Add($"{source}: relative paths in a submitted spec resolve on the coordinator, against its folder {services.OutputFolder}; " +
                        "give data.path as the coordinator sees it (an absolute path on its machine or shared volume)");
                return refusal;
            default:
                throw new RpcException(new Status(StatusCode.Internal, $"unexpected answer {reply.GetType().Name}"));
        }
    }

    public override async Task<ListSweepsReply> ListSweeps(ListSweepsRequest request, ServerCallContext context)
    {
        var list = await Coordinator.Ask<Core.SweepList>(Core.ListSweeps.Instance, SweepClient.AskTimeout, context.CancellationToken);
        return new ListSweepsReply { Sweeps = { list.Sweeps.Select(s => s.ToApi()) } };
    }

    public override async Task<GetSweepReply> GetSweep(GetSweepRequest request, ServerCallContext context)
    {
        var limit = request.TrialLimit > 0 ? request.TrialLimit : Core.GetSweepStatus.DefaultTrialLimit;
        var reply = await Coordinator.Ask<Core.ISweepReply>(new Core.GetSweepStatus(request.SweepId, request.TrialOffset, limit),
            SweepClient.AskTimeout, context.CancellationToken);
        var status = reply as Core.SweepStatus ?? throw NotFound(request.SweepId);
        return new GetSweepReply
        {
            Sweep = new SweepSummary
            {
                SweepId = status.SweepId, Name = status.Name, Cancelled = status.Cancelled, Counts = status.Counts.ToApi(), Finished = status.Counts.Finished,
            },
            Trials = { status.Trials.Select(t => t.ToApi()) },
        };
    }

    public override async Task WatchSweep(WatchSweepRequest request, IServerStreamWriter<SweepEvent> responseStream, ServerCallContext context)
    {
        var cancellation = context.CancellationToken;
        var feed = await services.Feeds.FindAsync(request.SweepId, cancellation) ?? throw NotFound(request.SweepId);
        var sameFeed = request.FeedId.Length == 0 || request.FeedId == services.Feeds.FeedId;
        var after = sameFeed ? Math.Max(0, request.FromEvent) : 0;
        while (true)
        {
            var (events, ended, changed) = feed.After(after);
            foreach (var e in events)
            {
                await responseStream.WriteAsync(e, cancellation);
                after = e.Number;
            }
            if (ended) return;
            await changed.WaitAsync(cancellation);
        }
    }

    public override async Task<CancelSweepReply> CancelSweep(CancelSweepRequest request, ServerCallContext context)
    {
        var reason = request.Reason.Length == 0 ? "cancelled through the API" : request.Reason;
        var reply = await Coordinator.Ask<Core.ISweepReply>(new Core.CancelSweep(request.SweepId, reason), SweepClient.AskTimeout, context.CancellationToken);
        var accepted = reply as Core.SweepCancellationAccepted ?? throw NotFound(request.SweepId);
        await services.Feeds.RefreshAsync(context.CancellationToken);
        return new CancelSweepReply { TrialsCancelled = accepted.TrialsCancelled };
    }

    public override async Task GetReport(GetReportRequest request, IServerStreamWriter<ReportChunk> responseStream, ServerCallContext context)
    {
        var list = await Coordinator.Ask<Core.SweepList>(Core.ListSweeps.Instance, SweepClient.AskTimeout, context.CancellationToken);
        var sweep = list.Sweeps.FirstOrDefault(s => s.SweepId == request.SweepId) ?? throw NotFound(request.SweepId);
        var folder = services.Reports.Folder(sweep.SweepId);
        var buffer = new byte[ChunkBytes];
        foreach (var name in await services.Reports.FilesAsync(sweep))
        {
            await using var file = File.OpenRead(Path.Combine(folder, name));
            var remaining = file.Length;
            do
            {
                var read = await file.ReadAsync(buffer, context.CancellationToken);
                remaining -= read;
                await responseStream.WriteAsync(new ReportChunk
                {
                    Name = name, Data = ByteString.CopyFrom(buffer, 0, read), Last = read == 0 || remaining <= 0,
                }, context.CancellationToken);
                if (read == 0) break;
            } while (remaining > 0);
        }
    }

    private static RpcException NotFound(string sweepId) =>
        new(new Status(StatusCode.NotFound, $"no sweep with id '{sweepId}' was submitted to this coordinator"));
}
