#!/usr/bin/env bash
# Refreshes the dashboard's vendored libraries from npm (versions pinned by package-lock.json). The copies in
# ../wwwroot/vendor are committed, so the server needs neither npm nor the network at run time.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css node_modules/uplot/LICENSE ../wwwroot/vendor/
mv ../wwwroot/vendor/LICENSE ../wwwroot/vendor/uPlot.LICENSE
