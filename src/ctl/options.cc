#include "ctl/options.h"

#include <getopt.h>

#include <fmt/format.h>

#include "base/log.h"
#include "ctl/daemon.h"
#include "ctl/unixctl.h"

namespace vs::ctl {
namespace {

enum : int {
  kOptPidfile = 256,
  kOptDetach,
  kOptLogFile,
  kOptUnixctl,
  kOptRemote,
  kOptIgnored,
  kOptMlockall,
  kOptExtra,  // kOptExtra + i: extra[i]
};

int HasArg(ExtraOption::Arg a) {
  switch (a) {
    case ExtraOption::Arg::kNone: return no_argument;
    case ExtraOption::Arg::kRequired: return required_argument;
    case ExtraOption::Arg::kOptional: return optional_argument;
  }
  return no_argument;
}

}  // namespace

Result<DaemonOptions> ParseDaemonOptions(int argc, char** argv, const std::string& program,
                                         const std::vector<ExtraOption>& extra,
                                         bool allow_remote) {
  std::vector<option> longs = {
      {"pidfile", optional_argument, nullptr, kOptPidfile},
      {"detach", no_argument, nullptr, kOptDetach},
      {"log-file", optional_argument, nullptr, kOptLogFile},
      {"unixctl", required_argument, nullptr, kOptUnixctl},
      {"verbose", optional_argument, nullptr, 'v'},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {"no-chdir", no_argument, nullptr, kOptIgnored},
      {"monitor", no_argument, nullptr, kOptIgnored},
      {"overwrite-pidfile", no_argument, nullptr, kOptIgnored},
      {"mlockall", no_argument, nullptr, kOptMlockall},
  };
  if (allow_remote) longs.push_back({"remote", required_argument, nullptr, kOptRemote});
  for (size_t i = 0; i < extra.size(); i++)
    longs.push_back({extra[i].name.c_str(), HasArg(extra[i].arg), nullptr,
                     kOptExtra + static_cast<int>(i)});
  longs.push_back({nullptr, 0, nullptr, 0});

  DaemonOptions o;
  optind = 0;  // full re-initialisation (GNU), so that tests may parse twice
  opterr = 0;  // our own messages
  for (;;) {
    int prev = optind ? optind : 1;
    int c = getopt_long(argc, argv, "v::hV", longs.data(), nullptr);
    if (c == -1) break;
    std::string value = optarg ? optarg : "";
    std::string given = prev < argc ? argv[prev] : "";
    switch (c) {
      case kOptPidfile:
        o.default_pidfile = value.empty();
        o.pidfile = value.empty() ? fmt::format("{}/{}.pid", DefaultRunDir(), program) : value;
        break;
      case kOptDetach: o.detach = true; break;
      case kOptLogFile:
        o.log_file = value.empty() ? fmt::format("{}/{}.log", LogDir(), program) : value;
        break;
      case kOptUnixctl: o.unixctl = value; break;
      case kOptRemote: o.remotes.push_back(value); break;
      case kOptIgnored: break;
      case kOptMlockall: o.mlockall = true; break;
      case 'v':
        VS_RETURN_IF_ERROR(log::ApplySpec(value.empty() ? "dbg" : value));
        break;
      case 'h': o.help = true; break;
      case 'V': o.version = true; break;
      case ':':
        return Status(EINVAL, fmt::format("option \"{}\" needs a value (use --help for help)", given));
      case '?':
        if (optopt && optopt < 256)
          return Status(EINVAL, fmt::format("unknown option \"-{}\" (use --help for help)",
                                            static_cast<char>(optopt)));
        if (given.rfind("--", 0) == 0 && given.find('=') == std::string::npos) {
          // getopt_long reports a missing required value as '?' too.
          for (const option& l : longs)
            if (l.name && l.has_arg == required_argument && given == std::string("--") + l.name)
              return Status(EINVAL, fmt::format("option \"{}\" needs a value (use --help for help)",
                                                given));
        }
        return Status(EINVAL, fmt::format("unknown option \"{}\" (use --help for help)", given));
      default: {
        const ExtraOption& e = extra[static_cast<size_t>(c - kOptExtra)];
        if (Status s = e.apply(value); !s.ok()) return s;
      }
    }
  }
  for (int i = optind; i < argc; i++) o.args.push_back(argv[i]);
  return o;
}

}  // namespace vs::ctl
