// Type "internal": the bridge's own kernel interface, of the interface's name
// (needs CAP_NET_ADMIN; the name must fit IFNAMSIZ).
//
// Once DPDK runs (not simulated) it is a DPDK net_tap device (dpdk.h), so PMD
// threads carry its traffic like any other port's. Before that it is a plain
// TAP file descriptor without queues, which asks to be reopened
// (reopen_wanted()) as soon as DPDK is up.
//
// The kernel interface outlives the device: the switch daemon holds it
// (HoldKernelInterface, a detached queue of the multi-queue TAP, which keeps
// the interface registered but receives nothing) for as long as the Interface
// row exists, so reopening the device (an MTU change, DPDK starting) keeps
// the interface, its addresses and routes' configuration, and its MAC
// (Config::mac, given to net_tap as its mac= devarg and to a plain TAP by
// SIOCSIFHWADDR). A plain TAP changes MTU and MAC in place.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "netdev/context.h"
#include "netdev/netdev.h"

namespace vs::netdev {

Result<std::unique_ptr<Netdev>> OpenInternal(Context& ctx, const Config& cfg);

// Keeps the kernel TAP interface `name` registered while it lives (creating
// it if needed); the interface is deleted when the last holder and device
// close it. Errors: the name (EINVAL), /dev/net/tun, or an interface of that
// name that is not a multi-queue TAP (EBUSY/EINVAL), with the fix.
class KernelInterfaceHold {
 public:
  KernelInterfaceHold(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  ~KernelInterfaceHold();
  KernelInterfaceHold(const KernelInterfaceHold&) = delete;
  KernelInterfaceHold& operator=(const KernelInterfaceHold&) = delete;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  int fd_;
};
Result<std::unique_ptr<KernelInterfaceHold>> HoldKernelInterface(const std::string& name);

// A unicast, locally administered MAC derived from `name` (the same on every
// run): the default address of an internal interface.
std::string StableMac(const std::string& name);

}  // namespace vs::netdev
