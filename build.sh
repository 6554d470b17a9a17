#!/usr/bin/env bash
# Builds dist/fleetwatch: one self-contained executable for Linux x64. The machine it runs on needs no .NET SDK or
# runtime; copy the file and run it (see README, "Install").
set -euo pipefail
cd "$(dirname "$0")"
rm -rf dist
dotnet publish src/Fleetwatch -c Release -r linux-x64 --self-contained true \
  -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:DebugType=none \
  -o dist --nologo -v quiet
ls -l dist/fleetwatch
