#!/usr/bin/env bash
# nats_cluster.sh start|stop <state_dir> — three nats-servers in one JetStream
# cluster on this machine, for the benchmark's BENCH_NATS_REPLICAS=3 mode:
# what it costs to make the VAPI stream's PubAck mean "held by a majority"
# (R3) rather than "written to one server's page cache" (nats-server 2.9 has
# no sync-always option: an R1 acknowledgement survives a process crash, not
# a power cut). Same users and permissions as infra.sh's server (its users
# folder must exist: infra.sh start first). start prints the NATS_URL of the
# three, comma-separated.
set -euo pipefail
cd "$(dirname "$0")/../.."
verb=$1 state=$2
dir=$state/nats-cluster
users_dir=$state/nats/users

stop() {
    local pid
    for pid in "$dir"/n*/nats.pid; do
        [[ -r $pid ]] || continue
        kill "$(<"$pid")" 2>/dev/null || true
    done
    sleep 0.5
}

if [[ $verb == stop ]]; then
    stop
    exit 0
fi
[[ $verb == start && -d $users_dir ]] || { echo "usage: $0 start|stop <state_dir> (after infra.sh start)" >&2; exit 2; }

free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$((41000 + RANDOM % 9000))
        [[ -z $(ss -Htln "sport = :$port" 2>/dev/null) ]] && { echo "$port"; return 0; }
    done
    return 1
}
declare -a client route mon
for i in 1 2 3; do
    client[i]=$(free_port) route[i]=$(free_port) mon[i]=$(free_port)
done
routes="nats-route://127.0.0.1:${route[1]},nats-route://127.0.0.1:${route[2]},nats-route://127.0.0.1:${route[3]}"
env_pw=()
for f in "$users_dir"/*; do
    user=$(basename "$f")
    user=${user^^}
    env_pw+=("VX_NATS_PASSWORD_${user//-/_}=$(<"$f")")
done
for i in 1 2 3; do
    mkdir -p "$dir/n$i"
    cp deploy/nats/users.conf "$dir/n$i/users.conf"
    cat >"$dir/n$i/nats.conf" <<CONF
server_name: bench-n$i
listen: 127.0.0.1:${client[i]}
http: 127.0.0.1:${mon[i]}
max_payload: 12MB
pid_file: "$dir/n$i/nats.pid"
jetstream { store_dir: "$dir/n$i" }
cluster {
  name: bench
  listen: 127.0.0.1:${route[i]}
  routes: [ $routes ]
}
include ./users.conf
CONF
    env "${env_pw[@]}" setsid nats-server -c "$dir/n$i/nats.conf" </dev/null >>"$dir/n$i/nats.log" 2>&1 &
done
# Ready when every server reports JetStream healthy (a meta leader elected).
for i in 1 2 3; do
    for _ in $(seq 1 150); do
        curl -fs "http://127.0.0.1:${mon[i]}/healthz?js-enabled-only=true" >/dev/null 2>&1 && break
        sleep 0.2
    done
done
sleep 2
echo "nats://127.0.0.1:${client[1]},nats://127.0.0.1:${client[2]},nats://127.0.0.1:${client[3]}"
