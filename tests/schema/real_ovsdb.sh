#!/usr/bin/env bash
# Real-client check of numavs's Open_vSwitch schema.
#
# Usage: real_ovsdb.sh OURS.ovsschema REFERENCE.ovsschema [OUR_SERVER.ovsschema]
#
# Starts two instances of the real Debian ovsdb-server in a private temp dir,
# one on our schema and one on the installed OVS schema, runs the same ovs-vsctl
# script against both and requires:
#   * the server accepts our schema (ovsdb-tool create, ovsdb-server start);
#   * no ovs-vsctl command prints anything on stderr (no IDL "lacks ... column"
#     or "lacks ... table" warnings), except commands marked to fail, whose
#     error text and exit code must match the reference;
#   * identical output (normalise_vsctl.py: UUIDs replaced, `list` records and
#     `show` subtrees sorted, since ovs-vsctl prints rows in UUID-hash order).
# If OUR_SERVER.ovsschema is given, it is also compared (check_schema.py) with
# the _Server schema that the real ovsdb-server reports.
#
# Exit: 0 pass, 1 fail, 77 skip (OVS tools or reference schema not installed).
# Only the ovsdb-server processes started here are killed, by their pid.

set -u

ours=${1:?usage: real_ovsdb.sh OURS REF [OUR_SERVER]}
ref=${2:?usage: real_ovsdb.sh OURS REF [OUR_SERVER]}
ours_server=${3:-}
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
here=$(cd "$here" && pwd)

for tool in ovsdb-server ovsdb-tool ovsdb-client ovs-vsctl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool is not installed"
    exit 77
  fi
done
if [[ ! -f $ref ]]; then
  echo "SKIP: reference schema $ref is not installed"
  exit 77
fi

# Short path: unix socket names are limited to ~108 bytes.
work=$(mktemp -d /tmp/numavs-schema.XXXXXX) || exit 1
started_pids=()

cleanup() {
  local pid
  for pid in "${started_pids[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${started_pids[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null
  done
  if [[ ${KEEP_WORKDIR:-0} == 1 ]]; then
    echo "work dir kept: $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail=0
die() { echo "FAIL: $*"; exit 1; }

# start_server NAME SCHEMA: creates $work/NAME/db.db and starts ovsdb-server.
start_server() {
  local name=$1 schema=$2 dir=$work/$1 pid
  mkdir -p "$dir"
  ovsdb-tool create "$dir/db.db" "$schema" >"$dir/create.out" 2>&1 ||
    die "ovsdb-tool create rejected $schema: $(cat "$dir/create.out")"
  ovsdb-server --remote="punix:$dir/db.sock" --pidfile="$dir/db.pid" \
    --unixctl="$dir/db.ctl" --log-file="$dir/db.log" --detach \
    "$dir/db.db" >"$dir/server.out" 2>&1 ||
    die "ovsdb-server refused $schema: $(cat "$dir/server.out")"
  # --detach returns after the pidfile is written.
  pid=$(cat "$dir/db.pid" 2>/dev/null) || die "$name: no pidfile"
  [[ $pid =~ ^[0-9]+$ ]] || die "$name: bad pidfile content '$pid'"
  started_pids+=("$pid")
  [[ -S $dir/db.sock ]] || die "$name: socket $dir/db.sock missing"
}

# The command script. A leading '!' marks a command that must fail (the
# error text and exit code are then compared with the reference instead).
# All run with --no-wait: there is no switch daemon to bump cur_cfg.
commands=(
  "init"
  "add-br br2 -- set bridge br2 datapath_type=netdev"
  "add-port br2 dpdk0 -- set Interface dpdk0 type=dpdk options:dpdk-devargs=0000:81:00.1"
  "show"
  "list Interface"
  "list Bridge"
  "list Open_vSwitch"
  "get Interface dpdk0 options"
  # What os-vif/ovsdbapp and OVN write.
  "--may-exist add-port br2 tap0 -- set Interface tap0 external_ids:iface-id=p1 external_ids:attached-mac=fa:16:3e:00:00:01 external_ids:iface-status=active mtu_request=1500 ofport_request=7"
  "--may-exist add-port br2 tap0"
  "set Port tap0 tag=10 vlan_mode=access other_config:priority-tags=true"
  "set Bridge br2 fail_mode=secure protocols=OpenFlow10,OpenFlow13 other_config:hwaddr=00:11:22:33:44:55 external_ids:bridge-id=br2"
  "set Open_vSwitch . other_config:dpdk-init=true other_config:pmd-cpu-mask=0x6 external_ids:system-id=numavs-test external_ids:ovn-encap-type=geneve"
  "set-controller br2 tcp:127.0.0.1:6653 ptcp:6654"
  "set-manager ptcp:6640"
  "set-ssl /tmp/k.pem /tmp/c.pem /tmp/ca.pem"
  "set Port dpdk0 qos=@q -- --id=@q create QoS type=linux-htb other_config:max-rate=1000000 queues:0=@q0 -- --id=@q0 create Queue other_config:max-rate=500000 dscp=10"
  "-- --id=@m create Mirror name=m0 select_all=true -- add Bridge br2 mirrors @m"
  "-- set Bridge br2 netflow=@nf -- --id=@nf create NetFlow targets=\\\"10.0.0.1:2055\\\" active_timeout=30"
  "-- set Bridge br2 sflow=@sf -- --id=@sf create sFlow targets=\\\"10.0.0.1:6343\\\" sampling=64"
  "-- set Bridge br2 ipfix=@ix -- --id=@ix create IPFIX targets=\\\"10.0.0.1:4739\\\" obs_domain_id=1"
  "-- --id=@br get Bridge br2 -- --id=@ix2 create IPFIX targets=\\\"10.0.0.2:4739\\\" -- create Flow_Sample_Collector_Set id=1 bridge=@br ipfix=@ix2"
  "-- set Bridge br2 flow_tables:0=@ft -- --id=@ft create Flow_Table name=t0 flow_limit=1000 overflow_policy=evict prefixes=ip_dst,ip_src"
  "-- set Bridge br2 auto_attach=@aa -- --id=@aa create AutoAttach system_name=sys mappings:100=200"
  "-- set Open_vSwitch . datapaths:netdev=@dp -- --id=@dp create Datapath capabilities:ct_zero_snat=true"
  "add-zone-tp netdev zone=5 udp_first=10 tcp_established=3600"
  "list-zone-tp netdev"
  "show"
  "list Port"
  "list Interface"
  "list Bridge"
  "list Open_vSwitch"
  "list Flow_Table"
  "list QoS"
  "list Queue"
  "list Mirror"
  "list Controller"
  "list Manager"
  "list NetFlow"
  "list sFlow"
  "list IPFIX"
  "list Flow_Sample_Collector_Set"
  "list SSL"
  "list AutoAttach"
  "list Datapath"
  "list CT_Zone"
  "list CT_Timeout_Policy"
  "get Interface tap0 mtu_request ofport_request external_ids:iface-id"
  "find Interface type=dpdk"
  "list-br"
  "list-ports br2"
  "list-ifaces br2"
  "port-to-br dpdk0"
  # Constraints must be enforced the same way (client- and server-side).
  "!set Interface tap0 ofport_request=70000"
  "!set Port tap0 tag=5000"
  "!set Bridge br2 fail_mode=bogus"
  "!set Interface tap0 mtu_request=0"
  "!-- --id=@c create Controller target=\\\"tcp:10.0.0.9\\\" max_backoff=5 -- set Bridge br2 controller=@c"
  "!add-br br2"
  "!set Interface nosuch type=dpdk"
  # Garbage collection of non-root rows (Port/Interface) and root rows (QoS).
  "del-port br2 dpdk0"
  "list Interface"
  "list QoS"
  # br2 survives del-br: the root Flow_Sample_Collector_Set row refers to it.
  "del-br br2"
  "list Bridge"
  "list Port"
  "list Mirror"
  "list Flow_Sample_Collector_Set"
  "show"
  # Dropping that root row lets the whole bridge subtree be collected.
  "--all destroy Flow_Sample_Collector_Set"
  "list Bridge"
  "list Port"
  "list Interface"
  "list Mirror"
  "list Controller"
  "list IPFIX"
  "list Flow_Table"
  "list QoS"
  "show"
)

# Server-side enforcement of the schema, bypassing ovs-vsctl's own checks:
# raw transactions whose results (errors included) must match the reference.
transacts=(
  # maxRows 1 on Open_vSwitch.
  '["Open_vSwitch",{"op":"insert","table":"Open_vSwitch","row":{}}]'
  # Integer range, enum, set size and refTable checks.
  '["Open_vSwitch",{"op":"insert","table":"Interface","row":{"name":"x","ofport_request":70000}}]'
  '["Open_vSwitch",{"op":"insert","table":"Bridge","row":{"name":"x","fail_mode":"bogus"}}]'
  '["Open_vSwitch",{"op":"insert","table":"Queue","row":{"dscp":64}}]'
  '["Open_vSwitch",{"op":"insert","table":"Bridge","row":{"name":"x","flood_vlans":["set",[4096]]}}]'
  '["Open_vSwitch",{"op":"insert","table":"Bridge","uuid-name":"b","row":{"name":"x","ports":["uuid","6a0bd5b1-0d3c-4e0d-8d1b-000000000001"]}},{"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["bridges","insert",["named-uuid","b"]]]}]'
  # Port.interfaces has min 1.
  '["Open_vSwitch",{"op":"insert","table":"Port","uuid-name":"p","row":{"name":"x"}},{"op":"insert","table":"Bridge","uuid-name":"b","row":{"name":"x","ports":["named-uuid","p"]}},{"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["bridges","insert",["named-uuid","b"]]]}]'
  # Unique name index.
  '["Open_vSwitch",{"op":"insert","table":"Bridge","uuid-name":"a","row":{"name":"dup"}},{"op":"insert","table":"Bridge","uuid-name":"b","row":{"name":"dup"}},{"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["bridges","insert",["set",[["named-uuid","a"],["named-uuid","b"]]]]]}]'
  # Immutable Bridge.name.
  '["Open_vSwitch",{"op":"insert","table":"Bridge","uuid-name":"b","row":{"name":"imm"}},{"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["bridges","insert",["named-uuid","b"]]]}]'
  '["Open_vSwitch",{"op":"update","table":"Bridge","where":[["name","==","imm"]],"row":{"name":"imm2"}}]'
  '["Open_vSwitch",{"op":"select","table":"Bridge","where":[],"columns":["name"]}]'
  # Garbage collection: an unreferenced Port/Interface goes, a QoS (root) stays.
  '["Open_vSwitch",{"op":"insert","table":"Interface","uuid-name":"i","row":{"name":"orphan"}},{"op":"insert","table":"Port","row":{"name":"orphan","interfaces":["named-uuid","i"]}},{"op":"insert","table":"QoS","row":{"type":"linux-htb"}}]'
  '["Open_vSwitch",{"op":"select","table":"Port","where":[["name","==","orphan"]],"columns":["name"]},{"op":"select","table":"Interface","where":[["name","==","orphan"]],"columns":["name"]},{"op":"select","table":"QoS","where":[],"columns":["type"]}]'
  '["Open_vSwitch",{"op":"delete","table":"QoS","where":[]}]'
)

# run_script NAME: runs every command against server NAME; writes raw
# results to $work/NAME/cmds/N.{cmd,rc,out,err} and the normalised
# transcript (normalise_vsctl.py) to $work/NAME/transcript.
run_script() {
  local name=$1 dir=$work/$1 cmd expect_fail rc n=0 f
  local db="unix:$dir/db.sock"
  mkdir -p "$dir/cmds"
  for cmd in "${commands[@]}"; do
    n=$((n + 1)); f=$dir/cmds/$n
    expect_fail=0
    if [[ $cmd == !* ]]; then expect_fail=1; cmd=${cmd#!}; fi
    echo "ovs-vsctl $cmd" >"$f.cmd"
    # eval so that the escaped quotes above reach ovs-vsctl as one word.
    eval "ovs-vsctl --db=$db --no-wait --timeout=20 $cmd" >"$f.out" 2>"$f.err"
    rc=$?
    echo "$rc" >"$f.rc"
    if ((expect_fail)); then
      if ((rc == 0)); then
        echo "FAIL [$name] expected failure but rc=0: ovs-vsctl $cmd"
        fail=1
      fi
    elif ((rc != 0)); then
      echo "FAIL [$name] rc=$rc: ovs-vsctl $cmd"
      sed 's/^/    /' "$f.err"
      fail=1
    elif [[ -s $f.err ]]; then
      echo "FAIL [$name] stderr not empty: ovs-vsctl $cmd"
      sed 's/^/    /' "$f.err"
      fail=1
    fi
  done
  for cmd in "${transacts[@]}"; do
    n=$((n + 1)); f=$dir/cmds/$n
    echo "ovsdb-client transact $cmd" >"$f.cmd"
    ovsdb-client --timeout=20 transact "$db" "$cmd" >"$f.out" 2>"$f.err"
    echo "$?" >"$f.rc"
  done
  python3 "$here/normalise_vsctl.py" --transcript "$dir/cmds" >"$dir/transcript" ||
    die "normalise_vsctl.py failed"
}

start_server ours "$ours"
start_server ref "$ref"
echo "servers started: pids ${started_pids[*]} in $work"

run_script ours
run_script ref

if ! diff -u "$work/ref/transcript" "$work/ours/transcript" >"$work/transcript.diff"; then
  echo "FAIL: ovs-vsctl output differs (--- OVS schema, +++ numavs schema):"
  cat "$work/transcript.diff"
  fail=1
fi

ncmd=${#commands[@]}
ntxn=${#transacts[@]}
echo "ran $ncmd ovs-vsctl commands and $ntxn raw transactions against each server"

# The real server's _Server schema against ours.
if [[ -n $ours_server ]]; then
  if ovsdb-client get-schema "unix:$work/ours/db.sock" _Server \
      >"$work/server.ovsschema" 2>"$work/server.err"; then
    python3 "$here/check_schema.py" "$ours_server" "$work/server.ovsschema" || fail=1
  else
    echo "FAIL: ovsdb-client get-schema _Server: $(cat "$work/server.err")"
    fail=1
  fi
fi

# Python IDL (python3-openvswitch), if installed: register_all on our schema
# must see the rows written above without warnings.
pyidl=""
for py in python3 /usr/bin/python3; do
  if "$py" -c 'import ovs.db.idl' 2>/dev/null; then pyidl=$py; break; fi
done
if [[ -n $pyidl ]]; then
  if "$pyidl" "$here/pyidl_check.py" "unix:$work/ours/db.sock" "$ref" \
      >"$work/pyidl.out" 2>&1; then
    cat "$work/pyidl.out"
  else
    echo "FAIL: python IDL check:"
    sed 's/^/    /' "$work/pyidl.out"
    fail=1
  fi
else
  echo "note: python3-openvswitch not importable, python IDL check skipped"
fi

# Server logs must be clean too (no WARN/ERR about our schema).
for name in ours ref; do
  if grep -E '\|(WARN|ERR|EMER)\|' "$work/$name/db.log" >"$work/$name/log.bad"; then
    echo "FAIL [$name] ovsdb-server log has warnings:"
    sed 's/^/    /' "$work/$name/log.bad"
    fail=1
  fi
done

if ((fail)); then
  echo "FAIL: schema_real_ovsdb"
  exit 1
fi
echo "PASS: schema_real_ovsdb ($ncmd ovs-vsctl commands + $ntxn transactions, identical output, empty stderr)"
exit 0
