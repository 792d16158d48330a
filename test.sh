#!/usr/bin/env bash
# The test command: installs what the tests need, builds, and runs every test project.
# Extra arguments go to `dotnet test` (e.g. ./test.sh --filter "FullyQualifiedName~Models").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bash build/prerequisites.sh
dotnet build ClusterTrain.sln -c Release -nologo -v q
dotnet test ClusterTrain.sln -c Release --no-build -nologo --logger "console;verbosity=normal" "$@"
