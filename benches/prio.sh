#!/bin/sh
# Runs a command at autogroup nice -19 (benches/table.sh starts it with setsid, so
# the command has an autogroup of its own): on a shared machine it then gets its
# cores like its peer commands do, whatever else runs. Needs root; without it the
# command runs as it is.
echo -19 > /proc/self/autogroup 2>/dev/null || true
exec "$@"
