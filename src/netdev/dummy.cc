#include "netdev/dummy.h"

namespace vs::netdev {
namespace {

class DummyNetdev : public Netdev {
 public:
  explicit DummyNetdev(const Config& cfg) : Netdev(cfg.name), mtu_(RequestedMtu(cfg)) {}
  std::string type() const override { return "dummy"; }
  std::map<std::string, std::string> Status() const override { return {{"driver_name", "dummy"}}; }
  bool link_up() const override { return true; }
  int mtu() const override { return mtu_; }
  bool Reconfigure(const Config& cfg) override {
    mtu_ = RequestedMtu(cfg);
    return true;
  }

 private:
  int mtu_;
};

}  // namespace

Result<std::unique_ptr<Netdev>> OpenDummy(Context&, const Config& cfg) {
  return std::unique_ptr<Netdev>(new DummyNetdev(cfg));
}

}  // namespace vs::netdev
