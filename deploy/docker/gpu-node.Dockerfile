# syntax=docker/dockerfile:1
# GPU node: `clustertrain node` with TorchSharp's CUDA 12.8 backend (libtorch-cuda-12.8-linux-x64).
# Build from the repository root (docs/kubernetes.md):
#   docker build -f deploy/docker/gpu-node.Dockerfile -t REGISTRY/clustertrain-gpu-node:TAG .
ARG DOTNET_VERSION=10.0
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

# Ubuntu 24.04 (noble) ships libstdc++ with GLIBCXX_3.4.32, so the build's libstdc++ patch step
# (build/libstdcxx-compat/patch-libtorchsharp.sh) finds nothing to do and leaves TorchSharp untouched.
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION}-noble AS build
WORKDIR /src
# Project files first, so that the restore layer (several GB of libtorch) is reused until they change.
COPY Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY build/ build/
COPY src/Shared/ClusterTrain.Shared.csproj src/Shared/
COPY src/GpuNode/ClusterTrain.GpuNode.csproj src/GpuNode/
COPY src/Coordinator/ClusterTrain.Coordinator.csproj src/Coordinator/
RUN dotnet restore src/Coordinator/ClusterTrain.Coordinator.csproj -r linux-x64 -p:TorchBackend=cuda
COPY src/ src/
RUN dotnet publish src/Coordinator/ClusterTrain.Coordinator.csproj -c Release -r linux-x64 --self-contained false \
      --no-restore -p:TorchBackend=cuda -o /app

# Source of the .NET 10 runtime (with ASP.NET Core, for the coordinator's API) copied into the CUDA image.
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble AS dotnet

FROM ${CUDA_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libicu74 libssl3t64 tzdata \
 && rm -rf /var/lib/apt/lists/*
COPY --from=dotnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin clustertrain
ENV DOTNET_ROOT=/usr/share/dotnet \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
COPY --from=build /app /app
WORKDIR /home/clustertrain
USER 10001:10001
# Akka remoting and the management endpoint (health probes, cluster bootstrap).
EXPOSE 4053 8558
ENTRYPOINT ["/app/clustertrain", "node"]
