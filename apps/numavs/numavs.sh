#!/bin/bash
# numavs: start, stop and inspect the numavs daemons (the role of ovs-ctl).
#
#   numavs start   [--sysfs-root=DIR] [--db-file=FILE] [--no-db | --no-switchd] [-- SWITCHD-ARGS...]
#   numavs stop    [--no-db | --no-switchd]
#   numavs restart [same options as start]
#   numavs status
#
# --no-db / --no-switchd leave that daemon alone (the systemd units
# numavs-db.service and numavs-switchd.service each run one daemon).
# Directories follow OVS so that ovs-vsctl and ovs-appctl find the daemons
# unchanged: $OVS_RUNDIR (default /var/run/openvswitch) for the database
# socket, pidfiles and control sockets, $OVS_LOGDIR (default
# /var/log/openvswitch) for logs, $OVS_DBDIR (default /etc/openvswitch) for
# the database, numavs.db: not OVS's conf.db, whose format differs, so a
# distribution's Open vSwitch keeps its own configuration beside numavs's.
# start creates the database from numavs's schema if it is missing and
# refuses to start over a running ovsdb-server or ovs-vswitchd (they share the
# run directory: one of the two runs at a time). Like
# ovs-ctl, starting numavs-db records the system's identity in the database:
# ovs_version, external_ids:system-id (a random UUID kept in
# $OVS_SYSCONFDIR/openvswitch/system-id.conf, the file OVS uses, so the machine
# keeps one id), external_ids:rundir and :hostname, system-type and
# system-version (from /etc/os-release).
#
# Files are found relative to this script, so the build tree and an installed
# tree (cmake --install, any prefix) both work: the daemons in
# @NUMAVS_SBIN_REL@, the schema at @NUMAVS_SCHEMA_REL@.
set -euo pipefail

BINDIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
SBINDIR=$(cd "$BINDIR/@NUMAVS_SBIN_REL@" && pwd)
SCHEMA=${NUMAVS_SCHEMA:-$BINDIR/@NUMAVS_SCHEMA_REL@}
RUNDIR=${OVS_RUNDIR:-/var/run/openvswitch}
LOGDIR=${OVS_LOGDIR:-/var/log/openvswitch}
DBDIR=${OVS_DBDIR:-/etc/openvswitch}
ETCDIR=${OVS_SYSCONFDIR:-/etc}/openvswitch
export OVS_RUNDIR=$RUNDIR OVS_LOGDIR=$LOGDIR

say() { echo "numavs: $*"; }
die() { echo "numavs: $*" >&2; exit 1; }

pid_of() {  # NAME -> pid if its pidfile names a live process
  local f="$RUNDIR/$1.pid" pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

wait_gone() {  # PID SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

stop_daemon() {  # NAME
  local pid
  pid=$(pid_of "$1") || { say "$1 is not running"; return 0; }
  ovs-appctl -T 10 -t "$RUNDIR/$1.$pid.ctl" exit >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
  if ! wait_gone "$pid" 10; then
    say "$1 (pid $pid) did not exit in 10 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 5 || die "$1 (pid $pid) could not be stopped"
  fi
  say "stopped $1 (pid $pid)"
}

vsctl() { "$BINDIR/numavs-vsctl" --db="unix:$RUNDIR/db.sock" --timeout=10 --no-wait "$@"; }

set_system_ids() {  # what ovs-ctl records when it starts the database
  local id_file="$ETCDIR/system-id.conf" id version type="unknown" sys_version="unknown"
  if [ -s "$id_file" ]; then
    id=$(cat "$id_file")
  else
    id=$(cat /proc/sys/kernel/random/uuid)
    mkdir -p "$ETCDIR"
    echo "$id" > "$id_file"
  fi
  if [ -r /etc/os-release ]; then
    type=$(. /etc/os-release && echo "${ID:-unknown}")
    sys_version=$(. /etc/os-release && echo "${VERSION_ID:-unknown}")
  fi
  version=$("$SBINDIR/numavs-switchd" --version | awk '{print $NF; exit}')
  vsctl set Open_vSwitch . ovs_version="\"$version\"" \
        "external_ids:system-id=\"$id\"" "external_ids:rundir=\"$RUNDIR\"" \
        "system_type=\"$type\"" "system_version=\"$sys_version\"" \
    -- add Open_vSwitch . external_ids "hostname=\"$(uname -n)\""
}

start() {
  local sysfs_root="" db_file="$DBDIR/numavs.db" with_switchd=1 with_db=1
  local -a switchd_args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --sysfs-root=*) sysfs_root=${1#*=} ;;
      --db-file=*) db_file=${1#*=} ;;
      --no-switchd) with_switchd=0 ;;
      --no-db) with_db=0 ;;
      --) shift; switchd_args=("$@"); break ;;
      *) die "unknown option \"$1\" (see the top of $0)" ;;
    esac
    shift
  done
  for other in ovsdb-server ovs-vswitchd; do
    if pid=$(pid_of "$other"); then
      die "$other is running in $RUNDIR (pid $pid); stop it (systemctl stop openvswitch-switch) or set OVS_RUNDIR to another directory"
    fi
  done
  mkdir -p "$RUNDIR" "$LOGDIR" "$(dirname "$db_file")"
  if [ "$with_db" = 1 ]; then
    if [ ! -e "$db_file" ]; then
      "$SBINDIR/numavs-db" create "$db_file" "$SCHEMA"
      say "created $db_file"
    fi
    if pid=$(pid_of numavs-db); then
      say "numavs-db is already running (pid $pid)"
    else
      "$SBINDIR/numavs-db" --remote="punix:$RUNDIR/db.sock" --pidfile --log-file --detach "$db_file"
      say "started numavs-db (pid $(pid_of numavs-db)), database $db_file"
    fi
    vsctl init
    set_system_ids
  elif ! pid_of numavs-db >/dev/null; then
    die "numavs-db is not running in $RUNDIR (start it first: numavs start --no-switchd)"
  fi
  [ "$with_switchd" = 1 ] || return 0
  if pid=$(pid_of numavs-switchd); then
    say "numavs-switchd is already running (pid $pid)"
    return 0
  fi
  local -a args=("unix:$RUNDIR/db.sock" --pidfile --log-file --detach)
  [ -n "$sysfs_root" ] && args+=("--sysfs-root=$sysfs_root")
  "$SBINDIR/numavs-switchd" "${args[@]}" "${switchd_args[@]}"
  say "started numavs-switchd (pid $(pid_of numavs-switchd))"
}

status() {
  local rc=0 name pid
  for name in numavs-db numavs-switchd; do
    if pid=$(pid_of "$name"); then
      echo "$name is running with pid $pid"
    else
      echo "$name is not running"
      rc=3
    fi
  done
  return $rc
}

stop() {  # [--no-db | --no-switchd]
  local with_switchd=1 with_db=1
  for a in "$@"; do
    case "$a" in
      --no-switchd) with_switchd=0 ;;
      --no-db) with_db=0 ;;
      --) break ;;
      *) ;;  # start's options, from restart
    esac
  done
  [ "$with_switchd" = 0 ] || stop_daemon numavs-switchd
  [ "$with_db" = 0 ] || stop_daemon numavs-db
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  start) start "$@" ;;
  stop) stop "$@" ;;
  restart) stop "$@"; start "$@" ;;
  status) status ;;
  *) die "usage: numavs start|stop|restart|status [options] (see the top of $0)" ;;
esac
