#pragma once

#include <memory>
#include <string>
#include <vector>

#include "flow/component.h"
#include "script/engine.h"

namespace junction::components {

// Implemented by processors that are one Lua step (map, filter), so that the
// flow builder can fuse adjacent ones: the payload is then decoded once and
// encoded once for the whole run of steps instead of once per step.
class ScriptStepSource {
 public:
  virtual ~ScriptStepSource() = default;
  virtual script::Engine::Step script_step() const = 0;
};

// Several adjacent map / filter steps run as one over a single decoded value.
class ScriptChainProcessor final : public flow::Processor {
 public:
  ScriptChainProcessor(script::Engine& engine, std::vector<script::Engine::Step> steps)
      : engine_(engine), steps_(std::move(steps)) {}

  Status process(Message& msg, MessageBatch& out) override;

 private:
  script::Engine& engine_;
  std::vector<script::Engine::Step> steps_;
};

// Replaces each run of two or more adjacent script steps with one
// ScriptChainProcessor named after the steps it fused ("pipeline[0].map+
// pipeline[1].filter"). Other steps keep their place and name.
template <class Step>
std::vector<Step> fuse_script_steps(std::vector<Step> steps, script::Engine& engine) {
  std::vector<Step> fused;
  for (size_t i = 0; i < steps.size();) {
    size_t j = i;
    std::vector<script::Engine::Step> run;
    while (j < steps.size()) {
      auto* s = dynamic_cast<ScriptStepSource*>(steps[j].processor.get());
      if (!s) break;
      run.push_back(s->script_step());
      ++j;
    }
    if (run.size() < 2) {
      fused.push_back(std::move(steps[i]));
      ++i;
      continue;
    }
    std::string name;
    for (size_t k = i; k < j; ++k) name += (k == i ? "" : "+") + steps[k].name;
    fused.push_back({name, std::make_unique<ScriptChainProcessor>(engine, std::move(run))});
    i = j;
  }
  return fused;
}

}  // namespace junction::components
