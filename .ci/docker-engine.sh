#!/usr/bin/env bash
# Start or stop a private Docker engine for CI on a machine where none runs
# and systemd is not PID 1.
#
#   eval "$(.ci/docker-engine.sh start)"   # prints: export DOCKER_HOST=unix://...
#   .ci/docker-engine.sh stop
#
# Everything the engine writes lives under $WORK (default
# /tmp/artifact-conformance-docker): data, exec state, socket, pidfile, log.
# dockerd supervises its own containerd when none is running, so nothing else
# has to be started. vfs is the storage driver because it works on any
# filesystem (overlay on overlay is refused in nested setups); it is slow for
# big images, but the registry image is a few megabytes.
# Messages go to stderr; stdout carries only the export line.
set -euo pipefail

WORK="${WORK:-/tmp/artifact-conformance-docker}"
SOCK="$WORK/docker.sock"
PIDFILE="$WORK/dockerd.pid"
LOG="$WORK/dockerd.log"
START_TIMEOUT="${START_TIMEOUT:-60}"
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"

say() { echo "docker-engine: $*" >&2; }

engine_answers() { # $1: DOCKER_HOST value, empty for the client's default
    if [[ -n "$1" ]]; then
        DOCKER_HOST="$1" timeout 10 docker info >/dev/null 2>&1
    else
        (unset DOCKER_HOST; timeout 10 docker info >/dev/null 2>&1)
    fi
}

running_pid() { # prints the pid from the pidfile when that process is alive
    [[ -s "$PIDFILE" ]] || return 1
    local pid
    pid="$(cat "$PIDFILE")"
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

start() {
    if engine_answers "${DOCKER_HOST:-}"; then
        say "an engine already answers at ${DOCKER_HOST:-the default socket}; not starting another"
        [[ -n "${DOCKER_HOST:-}" ]] && echo "export DOCKER_HOST=$DOCKER_HOST"
        return 0
    fi
    if running_pid >/dev/null; then
        if engine_answers "unix://$SOCK"; then
            say "our engine (pid $(running_pid)) already answers at unix://$SOCK"
            echo "export DOCKER_HOST=unix://$SOCK"
            return 0
        fi
        say "dockerd pid $(running_pid) from $PIDFILE is alive but does not answer; run '$0 stop' first"
        return 1
    fi
    for tool in dockerd docker iptables; do
        command -v "$tool" >/dev/null || { say "'$tool' not found; install the Debian packages docker.io and iptables"; return 1; }
    done

    mkdir -p "$WORK/data" "$WORK/exec"
    rm -f "$PIDFILE" "$SOCK"
    say "starting dockerd (log: $LOG)"
    # setsid: the engine must outlive this script and not get the caller's
    # terminal signals; the pidfile is how 'stop' finds it again. --wait keeps
    # $! alive exactly as long as dockerd even when setsid has to fork.
    setsid --wait dockerd \
        --storage-driver=vfs \
        --data-root="$WORK/data" \
        --exec-root="$WORK/exec" \
        -H "unix://$SOCK" \
        --pidfile "$PIDFILE" \
        </dev/null >"$LOG" 2>&1 &
    local launcher=$!

    local started=$SECONDS
    until engine_answers "unix://$SOCK"; do
        if ! kill -0 "$launcher" 2>/dev/null; then
            say "dockerd exited during start-up; last lines of $LOG:"
            tail -n 30 "$LOG" >&2
            return 1
        fi
        if (( SECONDS - started >= START_TIMEOUT )); then
            say "dockerd did not answer at unix://$SOCK within ${START_TIMEOUT}s; last lines of $LOG:"
            tail -n 30 "$LOG" >&2
            kill "$launcher" 2>/dev/null || true
            return 1
        fi
        sleep 0.2
    done
    say "engine answers at unix://$SOCK (pid $(cat "$PIDFILE"), log $LOG)"
    echo "export DOCKER_HOST=unix://$SOCK"
}

stop() {
    local pid
    if ! pid="$(running_pid)"; then
        say "no dockerd of ours is running (pidfile $PIDFILE)"
        rm -f "$PIDFILE"
        return 0
    fi
    say "stopping dockerd pid $pid"
    # SIGTERM lets dockerd stop its containers and its containerd itself.
    kill -TERM "$pid"
    local started=$SECONDS
    while kill -0 "$pid" 2>/dev/null; do
        if (( SECONDS - started >= STOP_TIMEOUT )); then
            say "dockerd pid $pid still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.2
    done
    rm -f "$PIDFILE"
    say "stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop   (WORK=$WORK)" >&2; exit 2 ;;
esac
