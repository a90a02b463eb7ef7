#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Helpers for the tcpcryptd netns tests (sourced after lib.sh): start/stop a
# daemon per namespace, read its counters, bounded transfers checked by sha256.

TCD=$BIN/tcpcryptd
TMPD=$(mktemp -d /tmp/tcd-test.XXXXXX)
on_exit "rm -rf $TMPD"
declare -A TCD_PID TCD_NS

# tcd_run NAME NS READY ARGS...: tcpcryptd ARGS in NS, log in $TMPD/NAME.log;
# returns once the log says READY (1 if it did not start).
tcd_run() {
	local name=$1 ns=$2 ready=$3
	shift 3
	: >"$TMPD/$name.log"
	ip netns exec "$ns" "$TCD" "$@" >>"$TMPD/$name.log" 2>&1 &
	TCD_PID[$name]=$!
	TCD_NS[$name]=$ns
	BG_PIDS+=($!)
	if ! wait_for 15 grep -q "$ready" "$TMPD/$name.log"; then
		log "tcpcryptd $name did not start:"
		sed 's/^/#   /' "$TMPD/$name.log"
		return 1
	fi
}

# tcd_start NAME NS ARGS...: tcpcryptd -i eth0 --passthrough ARGS in NS.
tcd_start() {
	local name=$1 ns=$2
	shift 2
	tcd_run "$name" "$ns" "running (pass-through)" -i eth0 --passthrough "$@"
}

# tcd_stop NAME [SIG]: stop the daemon, return its exit status.
tcd_stop() {
	local name=$1 sig=${2:-TERM} pid=${TCD_PID[$1]} rc
	kill -"$sig" "$pid" 2>/dev/null
	timeout 15 tail --pid="$pid" -f /dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	return $rc
}

# tcd_stats NAME: ask for counters (SIGUSR1); prints the new log lines.
tcd_stats() {
	local name=$1 f=$TMPD/$1.log n
	n=$(wc -l <"$f")
	kill -USR1 "${TCD_PID[$name]}"
	wait_for 5 sh -c "tail -n +$((n + 1)) '$f' | grep -q '^tcpcryptd.*bpf(SIGUSR1) wire_guard'"
	tail -n +$((n + 1)) "$f"
}

# ctr TEXT KEY: the value of KEY=N in the first line of TEXT having it.
ctr() { grep -o "\b$2=[0-9]*" <<<"$1" | head -1 | cut -d= -f2; }

# ctr_line TEXT PATTERN KEY: KEY=N in the line matching PATTERN.
ctr_line() { grep -- "$2" <<<"$1" | grep -o " $3=[0-9]*" | head -1 | cut -d= -f2; }

# mkmarked PATH MB: random content with $MARK planted every 4 KB (a
# plaintext marker that must never show in a capture).
mkmarked() {
	python3 - "$1" "$2" "$MARK" <<'PY'
import os, sys
path, mb, mark = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
with open(path, "wb") as f:
    for _ in range(mb * 256):
        f.write(os.urandom(4096 - len(mark)) + mark)
PY
}

# mkfile PATH MB: random content.
mkfile() { head -c "$(($2 * 1024 * 1024))" /dev/urandom >"$1"; }

same_sha() { [ "$(sha256sum <"$1")" = "$(sha256sum <"$2")" ]; }

# xfer_nc SRV_NS CLI_NS ADDR PORT FILE: netcat-openbsd transfer, sha256 checked.
xfer_nc() {
	local srv=$1 cli=$2 addr=$3 port=$4 file=$5 out=$TMPD/nc.out fam=-4 pid
	case $addr in *:*) fam=-6 ;; esac
	rm -f "$out"
	ip netns exec "$srv" timeout 30 nc $fam -l "$port" >"$out" &
	pid=$!
	wait_port "$srv" "$port" || return 1
	ip netns exec "$cli" timeout 30 nc -N "$addr" "$port" <"$file" || return 1
	wait "$pid" || return 1
	same_sha "$file" "$out"
}

# xfer_socat SRV_NS CLI_NS ADDR PORT FILE
xfer_socat() {
	local srv=$1 cli=$2 addr=$3 port=$4 file=$5 out=$TMPD/socat.out pid l=TCP4 c
	c="TCP4:$addr:$port"
	case $addr in *:*) l=TCP6 c="TCP6:[$addr]:$port" ;; esac
	rm -f "$out"
	ip netns exec "$srv" timeout 30 socat -u "$l-LISTEN:$port,reuseaddr" \
		"OPEN:$out,creat,trunc" &
	pid=$!
	wait_port "$srv" "$port" || return 1
	ip netns exec "$cli" timeout 30 socat -u "OPEN:$file" "$c" || return 1
	wait "$pid" || return 1
	same_sha "$file" "$out"
}

# http_start NS ADDR PORT FILE: lighttpd serving FILE as /data.
http_start() {
	local ns=$1 addr=$2 port=$3 file=$4 d=$TMPD/www-$3 bind=$2
	case $addr in *:*) bind="[$addr]" ;; esac
	mkdir -p "$d/root"
	ln -sf "$file" "$d/root/data"
	cat >"$d/lighttpd.conf" <<-CONF
		server.document-root = "$d/root"
		server.bind = "$bind"
		server.port = $port
		server.errorlog = "$d/error.log"
		server.follow-symlink = "enable"
		mimetype.assign = ( "" => "application/octet-stream" )
	CONF
	bg "$ns" lighttpd -D -f "$d/lighttpd.conf"
	wait_port "$ns" "$port"
}

# xfer_curl CLI_NS ADDR PORT FILE: GET /data, sha256 checked.
xfer_curl() {
	local cli=$1 addr=$2 port=$3 file=$4 out=$TMPD/curl.out host=$2
	case $addr in *:*) host="[$addr]" ;; esac
	rm -f "$out"
	ip netns exec "$cli" curl -sS -g --max-time 30 -o "$out" "http://$host:$port/data" ||
		return 1
	same_sha "$file" "$out"
}

# xfer_iperf SRV_NS CLI_NS ADDR PORT MB: bounded iperf3 transfer, bytes checked.
xfer_iperf() {
	local srv=$1 cli=$2 addr=$3 port=$4 mb=$5 pid out=$TMPD/iperf.json got
	ip netns exec "$srv" timeout 40 iperf3 -s -1 -p "$port" >/dev/null 2>&1 &
	pid=$!
	wait_port "$srv" "$port" || return 1
	ip netns exec "$cli" timeout 40 iperf3 -c "$addr" -p "$port" -n "${mb}M" -J \
		>"$out" 2>&1 || return 1
	wait "$pid" || return 1
	# the sender's count is exact; the receiver's stops at the test's end
	got=$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["end"]
print(e["sum_sent"]["bytes"] if e["sum_received"]["bytes"] > 0 else 0)' "$out") || return 1
	[ "$got" -ge $((mb * 1024 * 1024)) ]
}

LOADER=$BIN/tcpcrypt-loader

# bpf_ctr NS DIR NAME: a BPF counter read through tcpcrypt-loader.
bpf_ctr() {
	ip netns exec "$1" "$LOADER" -j status eth0 | python3 -c '
import json,sys; print(json.load(sys.stdin)[0]["counters"][sys.argv[1]][sys.argv[2]])' "$2" "$3"
}

# dp_attached NS: tcpcrypt's programs are attached to eth0 (any mode).
dp_attached() { ip netns exec "$1" "$LOADER" status eth0 >/dev/null 2>&1; }

# dp_mode NS: how eth0's receive path is steered (native, skb or tc).
dp_mode() {
	ip netns exec "$1" "$LOADER" -j status eth0 | python3 -c '
import json,sys; print(json.load(sys.stdin)[0]["xdp"]["mode"])'
}

# flow_set_state NS LPORT STATE: rewrite the state of the tc_flows entry
# with local port LPORT (what the encryption engine does); every entry of
# that port (IPv4 and IPv6).
flow_set_state() {
	ip netns exec "$1" python3 - "$2" "$3" <<-'PY'
	import json, subprocess, sys
	lport, state = int(sys.argv[1]), int(sys.argv[2])
	def j(*a): return json.loads(subprocess.check_output(("bpftool", "-j") + a))
	net = j("net", "show")[0]
	# xdp_wire, or in tc mode (no XDP on eth0) the tc programs
	progs = [l.get("id", l.get("prog_id")) for l in net["xdp"] + net.get("tc", [])
	         if l["devname"] == "eth0"]
	for mid in {m for p in progs for m in j("prog", "show", "id", str(p)).get("map_ids", [])}:
	    if j("map", "show", "id", str(mid))["name"] != "tc_flows":
	        continue
	    done = 0
	    for e in j("map", "dump", "id", str(mid)):
	        k = [int(b, 16) for b in e["key"]]
	        if k[36] << 8 | k[37] == lport:
	            v = [int(b, 16) for b in e["value"]]
	            v[0] = state
	            subprocess.check_call(["bpftool", "map", "update", "id", str(mid), "key", "hex"] +
	                                  ["%02x" % b for b in k] + ["value", "hex"] +
	                                  ["%02x" % b for b in v])
	            done += 1
	    sys.exit(0 if done else 1)
	sys.exit(1)
	PY
}
