#!/bin/bash
# numavs: start, stop and inspect the numavs daemons (the role of ovs-ctl).
#
#   numavs start   [--sysfs-root=DIR] [--db-file=FILE] [--no-switchd] [-- SWITCHD-ARGS...]
#   numavs stop
#   numavs restart [same options as start]
#   numavs status
#
# Directories follow OVS so that ovs-vsctl and ovs-appctl find the daemons
# unchanged: $OVS_RUNDIR (default /var/run/openvswitch) for the database
# socket, pidfiles and control sockets, $OVS_LOGDIR (default
# /var/log/openvswitch) for logs, $OVS_DBDIR (default /etc/openvswitch) for
# conf.db. start creates the database from numavs's schema if it is missing
# and refuses to start over a running ovsdb-server or ovs-vswitchd.
set -euo pipefail

BINDIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
SCHEMA=${NUMAVS_SCHEMA:-@NUMAVS_SCHEMA@}
RUNDIR=${OVS_RUNDIR:-/var/run/openvswitch}
LOGDIR=${OVS_LOGDIR:-/var/log/openvswitch}
DBDIR=${OVS_DBDIR:-/etc/openvswitch}
export OVS_RUNDIR=$RUNDIR OVS_LOGDIR=$LOGDIR

say() { echo "numavs: $*"; }
die() { echo "numavs: $*" >&2; exit 1; }

proc_state() {  # PID -> "alive", "exiting" (killed, still releasing memory) or "gone"
  local stat rest state flags
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo gone; return; }
  rest=${stat##*) }            # after "pid (comm) ": state ppid pgrp ... flags is field 9
  set -- $rest
  state=$1 flags=${7:-0}
  case "$state" in Z | X | x) echo gone; return ;; esac
  # PF_EXITING (0x4): the process is in exit(); a SIGKILLed DPDK daemon can
  # take seconds there while its hugepages are unmapped.
  if (( flags & 4 )); then echo exiting; else echo alive; fi
}

pid_of() {  # NAME -> pid if its pidfile names a live process (waits for one that is exiting)
  local f="$RUNDIR/$1.pid" pid i
  [ -f "$f" ] || return 1
  pid=$(cat "$f" 2>/dev/null) || return 1
  [ -n "$pid" ] || return 1
  for ((i = 0; i < 100; i++)); do
    case $(proc_state "$pid") in
      alive) echo "$pid"; return 0 ;;
      gone) return 1 ;;
    esac
    sleep 0.1
  done
  echo "$pid"
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

start() {
  local sysfs_root="" db_file="$DBDIR/conf.db" with_switchd=1
  local -a switchd_args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --sysfs-root=*) sysfs_root=${1#*=} ;;
      --db-file=*) db_file=${1#*=} ;;
      --no-switchd) with_switchd=0 ;;
      --) shift; switchd_args=("$@"); break ;;
      *) die "unknown option \"$1\" (see the top of $0)" ;;
    esac
    shift
  done
  # numavs's daemons also hold OVS's pidfiles (so that ovs-appctl finds
  # them): an OVS pidfile naming a numavs daemon is not a running OVS.
  local other ours pid
  for other in ovsdb-server:numavs-db ovs-vswitchd:numavs-switchd; do
    ours=${other#*:} other=${other%%:*}
    if pid=$(pid_of "$other") && [ "$pid" != "$(pid_of "$ours" || true)" ]; then
      die "$other is running in $RUNDIR (pid $pid); stop it (systemctl stop openvswitch-switch) or set OVS_RUNDIR to another directory"
    fi
  done
  mkdir -p "$RUNDIR" "$LOGDIR" "$(dirname "$db_file")"
  if [ ! -e "$db_file" ]; then
    "$BINDIR/numavs-db" create "$db_file" "$SCHEMA"
    say "created $db_file"
  fi
  if pid=$(pid_of numavs-db); then
    say "numavs-db is already running (pid $pid)"
  else
    # As ovs-ctl starts ovsdb-server: the remotes in Open_vSwitch.manager_options
    # (ovs-vsctl set-manager) are served too.
    "$BINDIR/numavs-db" --remote="punix:$RUNDIR/db.sock" \
      --remote=db:Open_vSwitch,Open_vSwitch,manager_options --pidfile --log-file --detach "$db_file"
    say "started numavs-db (pid $(pid_of numavs-db)), database $db_file"
  fi
  "$BINDIR/numavs-vsctl" --db="unix:$RUNDIR/db.sock" --timeout=10 --no-wait init
  [ "$with_switchd" = 1 ] || return 0
  if pid=$(pid_of numavs-switchd); then
    say "numavs-switchd is already running (pid $pid)"
    return 0
  fi
  local -a args=("unix:$RUNDIR/db.sock" --pidfile --log-file --detach)
  [ -n "$sysfs_root" ] && args+=("--sysfs-root=$sysfs_root")
  "$BINDIR/numavs-switchd" "${args[@]}" "${switchd_args[@]}"
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

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  start) start "$@" ;;
  stop) stop_daemon numavs-switchd; stop_daemon numavs-db ;;
  restart) stop_daemon numavs-switchd; stop_daemon numavs-db; start "$@" ;;
  status) status ;;
  *) die "usage: numavs start|stop|restart|status [options] (see the top of $0)" ;;
esac
