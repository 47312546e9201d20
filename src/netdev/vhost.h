// Types "dpdkvhostuserclient" and "dpdkvhostuser" (see OpenVhostUser): a vhost-user port (DPDK
// librte_vhost) where numavs is the client of the socket in options:vhost-server-path and the guest
// side (QEMU, a container runtime, dpdk-testpmd with net_virtio_user) is the server. librte_vhost
// reconnects by itself in client mode, so either side may restart.
//
// Queue pairs (multi-queue): n_rxq() = n_txq() = the guest's queue pairs
// (vrings / 2 at new_device, raised when vring_state_changed enables a vring
// beyond them; up to 16), 1 before the first guest. A change requests a
// reconfiguration, so the rx queues are re-planned to PMDs. Tx queue q
// enqueues to the guest's enabled queue pairs in turn. Statistics add
// rx_qN_good_packets / tx_qN_good_packets per queue.
//
// Driver flags: other_config:vhost-iommu-support / vhost-postcopy-support as
// decided when DPDK started (context.h VhostSettings) are passed to
// rte_vhost_driver_register; the status keys vhost_iommu_support and
// vhost_postcopy_support are read back from what librte_vhost then offers.
//
// NUMA: the port opens with a pool on the node of the EAL's main lcore
// (status numa_source says so). When a guest connects, its memory node
// (rte_vhost_get_numa_node) becomes the port's node: the device requests a
// reconfiguration, and on the control thread (PMDs stopped) the pool is moved
// to that node through the pool registry and its numa-fallback policy; the
// daemon then re-homes the rx queue to a PMD of that node. A pool error goes
// to Interface.error and the guest gets no traffic until it is fixed.
//
// Threads and the vid protocol. librte_vhost calls new_device,
// destroy_device and vring_state_changed on its own thread.
//  - new_device only records the vid and the guest's facts (under mu_) and
//    requests a reconfiguration; DoApplyRequest() (control thread, PMDs
//    stopped) attaches the pool and then publishes the vid to the PMDs
//    (vid_, seq_cst) if the guest is still the same connection.
//  - A PMD entering RxBurst/TxBurst sets the queue's busy flag (seq_cst),
//    then reads vid_; it uses the vid only if it is >= 0 and clears the flag
//    when it leaves.
//  - destroy_device sets vid_ to -1 (seq_cst) and then waits until the busy
//    flags are clear. Either the PMD saw -1, or destroy_device sees its flag
//    and waits for the burst to end: no PMD touches a vid after
//    destroy_device returns, and a dead guest never blocks a PMD.
// librte_vhost itself checks per burst that the vring is enabled and mapped.
//
// Transmit: frames longer than mtu + 18 bytes (Ethernet header and one VLAN
// tag) are dropped and counted (ovs_tx_mtu_exceeded_drops); the rest are
// enqueued, retried up to options:tx-retries-max times (0..32, default 8)
// while the guest keeps taking some (ovs_tx_retries), and what the guest has
// no room for is dropped (ovs_tx_failure_drops). TxBurst frees every packet
// (enqueue copies them into guest memory) and returns n.
#pragma once

#include <memory>

#include "base/status.h"
#include "netdev/context.h"
#include "netdev/netdev.h"

namespace vs::netdev {

// Errors (EINVAL/ENOENT/ENOTSOCK/ENAMETOOLONG/EBUSY/ENOTSUP, each naming the
// option and the fix): no vhost-server-path, a path whose directory does not
// exist, a path that exists and is not a socket, a path used by another port,
// tx-retries-max outside 0..32, DPDK not running or simulated (--sysfs-root),
// or the pool registry's error.
Result<std::unique_ptr<Netdev>> OpenVhostUserClient(Context& ctx, const Config& cfg);

// Type "dpdkvhostuser": the same with numavs as the server, on the socket
// $OVS_RUNDIR/<other_config:vhost-sock-dir>/<interface name>, removed when the
// port is deleted. A socket left there by a dead process is replaced; one a
// live process listens on is an error (EADDRINUSE). The guest reconnects.
Result<std::unique_ptr<Netdev>> OpenVhostUser(Context& ctx, const Config& cfg);

}  // namespace vs::netdev
