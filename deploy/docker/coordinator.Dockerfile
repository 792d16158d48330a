# syntax=docker/dockerfile:1
# Coordinator: `clustertrain coordinator` (sweep coordinator singleton, journal, reports, API).
# It trains nothing, so it carries TorchSharp's CPU backend only.
# Build from the repository root (docs/kubernetes.md):
#   docker build -f deploy/docker/coordinator.Dockerfile -t REGISTRY/clustertrain-coordinator:TAG .
ARG DOTNET_VERSION=10.0

# Ubuntu 24.04 (noble): modern libstdc++, so the build's libstdc++ patch step has nothing to do.
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION}-noble AS build
WORKDIR /src
COPY Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY build/ build/
COPY src/Shared/ClusterTrain.Shared.csproj src/Shared/
COPY src/GpuNode/ClusterTrain.GpuNode.csproj src/GpuNode/
COPY src/Coordinator/ClusterTrain.Coordinator.csproj src/Coordinator/
RUN dotnet restore src/Coordinator/ClusterTrain.Coordinator.csproj -r linux-x64 -p:TorchBackend=cpu
COPY src/ src/
RUN dotnet publish src/Coordinator/ClusterTrain.Coordinator.csproj -c Release -r linux-x64 --self-contained false \
      --no-restore -p:TorchBackend=cpu -o /app

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble AS runtime
# Report plots (ScottPlot on SkiaSharp's NoDependencies native assets) draw their text with a system font, and the
# aspnet image ships none: without one, titles, labels and legends would be missing from every PNG.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin clustertrain \
 && mkdir -p /data && chown 10001:10001 /data
COPY --from=build /app /app
WORKDIR /data
USER 10001:10001
# Akka remoting, the management endpoint, the gRPC API (CLUSTERTRAIN_API__PORT) and the dashboard (CLUSTERTRAIN_API__HTTPPORT).
EXPOSE 4053 8558 5080 5081
ENTRYPOINT ["/app/clustertrain", "coordinator"]
