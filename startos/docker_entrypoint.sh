#!/bin/sh
# Starts Recap inside its StartOS container. StartOS mounts the data
# volume at /data and writes its Config page to /data/start9/config.yaml;
# Recap writes /data/start9/stats.yaml (Properties) and
# /data/.backupignore itself when it starts.
set -eu

mkdir -p /data/start9

# tini reaps helper processes (yt-dlp) and passes SIGTERM on, so Recap
# shuts down cleanly within the manifest's sigterm-timeout.
exec tini -- recap serve --data /data --listen 0.0.0.0:8080
