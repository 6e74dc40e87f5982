#include "connectors/nats/subject.h"

#include "connectors/nats/config.h"

namespace junction::connectors::nats {

Result<SubjectSource> SubjectSource::from_config(const spec::Config& c,
                                                 flow::ComponentContext& ctx) {
  auto source = KeySource::from_config(c, ctx, "subject");
  if (!source) return source.error();
  SubjectSource s;
  s.source_ = std::move(*source);
  if (s.source_.is_constant()) {
    auto fixed = s.source_.key_for(Message{});
    if (!fixed) return fixed.error();
    if (Status st = check_subject(*fixed, false, "subject"); !st) return st.error();
    s.fixed_ = std::move(*fixed);
    s.label_ = s.fixed_;
  } else {
    s.label_ = c.str("subject").empty() ? "subject_expression" : c.str("subject");
  }
  return s;
}

Result<std::string> SubjectSource::subject_for(const Message& m) {
  if (!fixed_.empty()) return fixed_;
  auto subject = source_.key_for(m);
  if (!subject) return subject.error();
  if (Status st = check_subject(*subject, false, "subject"); !st) return st.error();
  return subject;
}

}  // namespace junction::connectors::nats
