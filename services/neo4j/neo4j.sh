#!/usr/bin/env bash
# Start, stop and inspect a local Neo4j Community 5.26 for chain-graph (no Docker needed).
#
#   services/neo4j/neo4j.sh start  [HOME_DIR] [BOLT_PORT]   start in the background, wait for Bolt
#   services/neo4j/neo4j.sh stop   [HOME_DIR]               stop the instance started from HOME_DIR
#   services/neo4j/neo4j.sh status [HOME_DIR]               print "running PID" or "stopped"
#   services/neo4j/neo4j.sh build                           resolve jars and compile the launcher
#   services/neo4j/neo4j.sh admin  HOME_DIR ARGS...         neo4j-admin ARGS on the stopped instance
#                                                           (e.g. database import full …)
#
# Defaults: HOME_DIR=.neo4j at the repository root, BOLT_PORT=7687. NEO4J_PASSWORD turns
# authentication on (user neo4j); NEO4J_HEAP sets -Xms/-Xmx (default 1g). The first start downloads
# Neo4j's jars from Maven Central into the Maven cache (~/.m2); later starts are offline.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="$HERE/target"
CLASSPATH_FILE="$TARGET/classpath.txt"
LAUNCHER_CLASS="$TARGET/classes/ChainGraphNeo4j.class"
HEAP="${NEO4J_HEAP:-1g}"
START_TIMEOUT="${NEO4J_START_TIMEOUT:-180}"

die() { echo "neo4j.sh: $*" >&2; exit 1; }

build() {
    command -v java >/dev/null || die "java not found: install a JDK 17 (Debian: apt-get install openjdk-17-jdk-headless)"
    command -v mvn >/dev/null || die "mvn not found: install Maven (Debian: apt-get install maven)"
    mkdir -p "$TARGET"
    if [[ ! -s "$CLASSPATH_FILE" || "$HERE/pom.xml" -nt "$CLASSPATH_FILE" ]]; then
        echo "neo4j.sh: resolving Neo4j jars with Maven (first run downloads them)" >&2
        mvn -q -B -f "$HERE/pom.xml" dependency:build-classpath \
            -Dmdep.outputFile="$CLASSPATH_FILE.tmp" >&2 || die "Maven could not resolve Neo4j's jars"
        mv "$CLASSPATH_FILE.tmp" "$CLASSPATH_FILE"
    fi
    if [[ ! -f "$LAUNCHER_CLASS" || "$HERE/src/ChainGraphNeo4j.java" -nt "$LAUNCHER_CLASS" \
          || "$CLASSPATH_FILE" -nt "$LAUNCHER_CLASS" ]]; then
        javac -d "$TARGET/classes" -cp "$(cat "$CLASSPATH_FILE")" "$HERE/src/ChainGraphNeo4j.java"
    fi
}

pid_of() {  # prints the pid if the instance in $1 is alive
    local pidfile="$1/chain-graph-neo4j.pid"
    [[ -f "$pidfile" ]] || return 1
    local pid
    pid="$(cat "$pidfile")"
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

start() {
    local home="$1" port="$2"
    build
    mkdir -p "$home"
    home="$(cd "$home" && pwd)"
    if pid="$(pid_of "$home")"; then
        echo "neo4j.sh: already running (pid $pid) from $home" >&2
        return 0
    fi
    local log="$home/launcher.log"
    : > "$log"
    # JVM flags from Neo4j 5.26's default neo4j.conf (server.jvm.additional).
    nohup java "-Xms$HEAP" "-Xmx$HEAP" \
        -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow -XX:+DisableExplicitGC \
        -Djdk.nio.maxCachedBufferSize=1024 -Dio.netty.tryReflectionSetAccessible=true \
        -Dlog4j2.disable.jmx=true \
        --add-opens=java.base/java.nio=ALL-UNNAMED \
        --add-opens=java.base/java.io=ALL-UNNAMED \
        --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
        -cp "$TARGET/classes:$(cat "$CLASSPATH_FILE")" \
        ChainGraphNeo4j "$home" "$port" "$HERE/neo4j.conf" >>"$log" 2>&1 < /dev/null &
    local pid=$!
    echo "$pid" > "$home/chain-graph-neo4j.pid"
    local waited=0
    until grep -q "chain-graph-neo4j ready" "$log"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 30 "$log" >&2
            die "Neo4j exited while starting (log: $log, $home/logs/debug.log)"
        fi
        if (( waited >= START_TIMEOUT )); then
            kill "$pid" 2>/dev/null || true
            tail -n 30 "$log" >&2
            die "Neo4j did not answer on bolt://127.0.0.1:$port within ${START_TIMEOUT}s"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    echo "neo4j.sh: Neo4j running (pid $pid) on bolt://127.0.0.1:$port, data in $home" >&2
}

stop() {
    local home="$1" pid
    if ! pid="$(pid_of "$home")"; then
        rm -f "$home/chain-graph-neo4j.pid"
        echo "neo4j.sh: not running ($home)" >&2
        return 0
    fi
    kill -TERM "$pid"
    for _ in $(seq 120); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$home/chain-graph-neo4j.pid"; echo "neo4j.sh: stopped" >&2; return 0; }
        sleep 0.5
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$home/chain-graph-neo4j.pid"
    echo "neo4j.sh: killed after 60 s without a clean shutdown" >&2
}

admin() {  # Neo4j's own admin tool (neo4j-admin) from the same jars, on a stopped instance
    local home="$1" pid
    shift
    build
    mkdir -p "$home"
    home="$(cd "$home" && pwd)"
    if pid="$(pid_of "$home")"; then
        die "Neo4j is running from $home (pid $pid): stop it first (neo4j.sh stop $home)"
    fi
    NEO4J_HOME="$home" NEO4J_CONF="$HERE" exec java "-Xmx$HEAP" \
        -cp "$TARGET/classes:$(cat "$CLASSPATH_FILE")" org.neo4j.cli.AdminTool "$@"
}

cmd="${1:-}"
home="${2:-$ROOT/.neo4j}"
case "$cmd" in
    admin) [[ $# -ge 2 ]] || die "usage: neo4j.sh admin HOME_DIR ARGS..."; shift 2; admin "$home" "$@" ;;
    start) start "$home" "${3:-7687}" ;;
    stop) stop "$home" ;;
    status) if pid="$(pid_of "$home")"; then echo "running $pid"; else echo "stopped"; fi ;;
    build) build ;;
    *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
