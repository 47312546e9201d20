#!/bin/bash
# Installs what numavs needs on Debian 12, if missing. Idempotent; run as root.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config git
  libdpdk-dev dpdk
  dpdk-dev   # dpdk-testpmd, the ceiling in bench/dp
  nlohmann-json3-dev libfmt-dev libasio-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev libjemalloc-dev zlib1g-dev
  libsimdjson-dev
  clang-16 libclang-rt-16-dev   # libFuzzer and its sanitizers: the fuzz preset, tools/fuzz.sh
  openvswitch-switch openvswitch-common python3-openvswitch
  openvswitch-switch-dpdk   # the real OVS-DPDK 3.1, compared against in bench/dp
  python3 iproute2 procps iputils-ping iperf3 ethtool
  python3-os-ken   # the OpenFlow 1.3 controller of tests/ofproto/test_controller.py
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "numavs setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The openvswitch packages would start the system's OVS services; numavs
  # never uses them, so keep them from starting during the install.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  # The distribution's Open vSwitch is installed for its clients (ovs-vsctl,
  # ovs-appctl, ovsdb-client) and as a reference the tests start by hand; its
  # services would start at the next boot on /var/run/openvswitch, the run
  # directory numavs uses too. Mask them (what `systemctl mask` does, also
  # where systemd is not running), as this run installed them. To run OVS
  # instead of numavs: systemctl unmask openvswitch-switch ovsdb-server
  # ovs-vswitchd ovs-record-hostname (see README.md).
  if [[ " ${missing[*]} " == *" openvswitch-switch "* ]]; then
    for unit in openvswitch-switch ovsdb-server ovs-vswitchd ovs-record-hostname; do
      ln -sfn /dev/null "/etc/systemd/system/$unit.service"
    done
    systemctl daemon-reload >/dev/null 2>&1 || true
    echo "numavs setup: masked the openvswitch-switch services (they would share numavs's run directory at boot)"
  fi
fi
