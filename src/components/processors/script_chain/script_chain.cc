#include "components/processors/script_chain/script_chain.h"

namespace junction::components {

Status ScriptChainProcessor::process(Message& msg, MessageBatch& out) {
  auto kept = engine_.run_chain(steps_, msg);
  if (!kept.ok()) return std::move(kept).error();
  if (*kept) {
    out.push_back(std::move(msg));
  } else {
    msg.ack.ok();  // a map dropped it or a filter rejected it: handled on purpose
  }
  return ok_status();
}

}  // namespace junction::components
