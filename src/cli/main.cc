// junction: runs an integration declared in one YAML spec.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>
#include <vector>

#include "app/app.h"
#include "app/flow_builder.h"
#include "cli/topic_command.h"
#include "components/builtin.h"
#include "connectors/register.h"
#include "core/cpu_affinity.h"
#include "observe/logging.h"
#include "observe/metrics.h"

namespace {

using namespace junction;

constexpr const char* kVersion = "0.1.0";

constexpr const char* kUsage =
    R"(junction — one program for the integrations you would otherwise assemble.

Usage:
  junction run SPEC        run the spec's flows until they end or SIGINT/SIGTERM
  junction validate SPEC   check a spec; lists every error (exit 1) or says OK
  junction list            list every input, processor and output
  junction doc NAME        document a component (fields, defaults, example)
  junction doc --markdown  the whole component reference (docs/components.md)
  junction topic ...       topics of the embedded log: list, create, describe, produce,
                           consume, replay, delete (`junction topic help`)
  junction version

Options:
  --log-level LEVEL        trace | debug | info | warn | error | off (default: the spec's, else info)
  --log-format FORMAT      text | json (default: the spec's, else text)
  --threads N              I/O threads for `run` (default: one per CPU it may use)
  --cpu-affinity MODE      auto | on | off: pin each I/O thread to a CPU of its own
                           (auto: when there is one thread per usable CPU)
  --drain-timeout DURATION how long `run` lets in-flight messages finish after a signal (30s)
  --repair                 `run`: cut a corrupt log segment off at the damage instead of
                           refusing to start (the records after it are lost)
)";

struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::string log_level;
  std::string log_format;
  size_t threads = 0;
  cpu::Affinity cpu_affinity = cpu::Affinity::kAuto;
  Duration drain_timeout = std::chrono::seconds(30);
  bool markdown = false;
  bool repair = false;
};

bool parse_args(int argc, char** argv, Args& args, std::string& error) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) {
        error = a + " needs a value";
        return false;
      }
      out = argv[++i];
      return true;
    };
    if (a == "--log-level") {
      if (!value(args.log_level)) return false;
    } else if (a == "--log-format") {
      if (!value(args.log_format)) return false;
    } else if (a == "--threads") {
      std::string v;
      if (!value(v)) return false;
      try {
        args.threads = std::stoul(v);
      } catch (...) {
        error = "--threads expects a number, got '" + v + "'";
        return false;
      }
    } else if (a == "--cpu-affinity") {
      std::string v;
      if (!value(v)) return false;
      auto mode = cpu::parse_affinity(v);
      if (!mode) {
        error = "--cpu-affinity expects auto, on or off, got '" + v + "'";
        return false;
      }
      args.cpu_affinity = *mode;
    } else if (a == "--drain-timeout") {
      std::string v;
      if (!value(v)) return false;
      auto d = parse_duration(v);
      if (!d) {
        error = "--drain-timeout expects a duration like 30s, got '" + v + "'";
        return false;
      }
      args.drain_timeout = *d;
    } else if (a == "--repair") {
      args.repair = true;
    } else if (a == "--markdown") {
      args.markdown = true;
    } else if (a == "-h" || a == "--help") {
      args.command = "help";
    } else if (a.size() > 1 && a[0] == '-') {
      error = "unknown option '" + a + "'";
      return false;
    } else if (args.command.empty()) {
      args.command = a;
    } else {
      args.positional.push_back(a);
    }
  }
  return true;
}

int setup_logs(const Args& args, const spec::Spec* spec) {
  observe::LogOptions opts;
  if (spec) {
    opts.level = spec->observability.log_level;
    opts.format = spec->observability.log_format;
  }
  if (!args.log_level.empty()) opts.level = args.log_level;
  if (!args.log_format.empty()) opts.format = args.log_format;
  Status s = observe::setup_logging(opts);
  if (!s.ok()) {
    std::fprintf(stderr, "junction: %s\n", s.error().message().c_str());
    return 1;
  }
  return 0;
}

std::optional<spec::Spec> load(const std::string& file, const flow::ComponentRegistry& registry,
                               spec::Diagnostics& diags) {
  // Partial: a spec with errors still has its error-free flows built, so
  // one run lists the components' errors beside the spec's.
  auto spec = spec::load_spec(file, registry, diags, spec::LoadMode::kPartial);
  if (!spec) return std::nullopt;
  // Build every component too (without starting anything), so a bad script
  // or an unknown output name is found before the spec runs.
  observe::Registry metrics;
  app::BuildEnv env;
  env.metrics = &metrics;
  app::build_flows(*spec, registry, env, diags);
  if (!diags.ok()) return std::nullopt;
  return spec;
}

int cmd_validate(const Args& args, const flow::ComponentRegistry& registry) {
  if (args.positional.size() != 1) {
    std::fprintf(stderr, "usage: junction validate SPEC\n");
    return 64;
  }
  spec::Diagnostics diags;
  auto spec = load(args.positional[0], registry, diags);
  if (!spec) {
    std::fprintf(stderr, "%s", diags.format().c_str());
    std::fprintf(stderr, "%zu error(s)\n", diags.size());
    return 1;
  }
  if (spec->gateway) {
    std::printf("%s: OK (%zu flow(s), gateway with %zu route(s), %zu upstream(s))\n",
                args.positional[0].c_str(), spec->flows.size(), spec->gateway->routes.size(),
                spec->upstreams.size());
  } else {
    std::printf("%s: OK (%zu flow(s))\n", args.positional[0].c_str(), spec->flows.size());
  }
  return 0;
}

int cmd_run(const Args& args, const flow::ComponentRegistry& registry) {
  if (args.positional.size() != 1) {
    std::fprintf(stderr, "usage: junction run SPEC\n");
    return 64;
  }
  spec::Diagnostics diags;
  auto spec = spec::load_spec(args.positional[0], registry, diags);
  if (!spec) {
    std::fprintf(stderr, "%s", diags.format().c_str());
    std::fprintf(stderr, "%zu error(s)\n", diags.size());
    return 1;
  }
  if (int rc = setup_logs(args, &*spec)) return rc;
  app::RunOptions options;
  options.io_threads = args.threads;
  options.cpu_affinity = args.cpu_affinity;
  options.drain_timeout = args.drain_timeout;
  options.repair = args.repair;
  options.reload = [path = args.positional[0], &registry](std::string& errors) {
    spec::Diagnostics diags;
    auto fresh = spec::load_spec(path, registry, diags);
    if (!fresh) errors = diags.format();
    return fresh;
  };
  return app::run_spec(*spec, registry, options);
}

int cmd_list(const flow::ComponentRegistry& registry) {
  for (const auto* info : registry.all()) {
    std::printf("%-10s %-14s %s\n", std::string(spec::to_string(info->kind)).c_str(),
                info->name.c_str(), info->summary.c_str());
  }
  return 0;
}

int cmd_doc(const Args& args, const flow::ComponentRegistry& registry) {
  if (args.markdown) {
    std::printf("%s", flow::render_components_markdown(registry).c_str());
    return 0;
  }
  if (args.positional.size() != 1) {
    std::fprintf(stderr, "usage: junction doc NAME | junction doc --markdown\n");
    return 64;
  }
  auto found = registry.named(args.positional[0]);
  if (found.empty()) {
    std::vector<std::string> names;
    for (const auto* info : registry.all()) names.push_back(info->name);
    std::fprintf(stderr, "junction: no component named '%s'; %s\n", args.positional[0].c_str(),
                 spec::suggest(args.positional[0], names).c_str());
    return 1;
  }
  for (size_t i = 0; i < found.size(); ++i) {
    if (i) std::printf("\n");
    std::printf("%s", flow::render_component_doc(*found[i]).c_str());
  }
  return 0;
}

int dispatch(const Args& args) {
  flow::ComponentRegistry registry;
  components::register_builtin(registry);
  connectors::register_connectors(registry);
  if (args.command == "run") return cmd_run(args, registry);
  if (setup_logs(args, nullptr)) return 1;
  if (args.command == "validate") return cmd_validate(args, registry);
  if (args.command == "list") return cmd_list(registry);
  if (args.command == "doc") return cmd_doc(args, registry);
  if (args.command == "version") {
    std::printf("junction %s\n", kVersion);
    return 0;
  }
  if (args.command.empty() || args.command == "help") {
    std::printf("%s", kUsage);
    return args.command.empty() ? 64 : 0;
  }
  std::fprintf(
      stderr, "junction: unknown command '%s'; %s\n\n%s", args.command.c_str(),
      spec::suggest(args.command, {"run", "validate", "list", "doc", "topic", "version"}).c_str(),
      kUsage);
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  // `topic` has its own options; hand it the rest of the line as is.
  if (argc >= 2 && std::string(argv[1]) == "topic") {
    try {
      if (int rc = setup_logs(Args{}, nullptr)) return rc;
      return cli::topic_command(std::vector<std::string>(argv + 2, argv + argc));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "junction: internal error: %s\n", e.what());
      return 70;
    }
  }
  Args args;
  std::string error;
  if (!parse_args(argc, argv, args, error)) {
    std::fprintf(stderr, "junction: %s\n\n%s", error.c_str(), kUsage);
    return 64;
  }
  // Nothing may escape as an uncaught exception: a user sees a message, not
  // a stack trace.
  try {
    return dispatch(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "junction: internal error: %s\n", e.what());
    return 70;
  }
}
