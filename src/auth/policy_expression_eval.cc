// Evaluation of a parsed PolicyExpression over one request.
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <optional>

#include "auth/policy_expression.h"

namespace junction::auth {

namespace json = boost::json;

// A value while evaluating: views into the expression, the request and the
// token, which all outlive one evaluation.
class PolicyExpression::Evaluator {
 public:
  Evaluator(const PolicyExpression& expr, const PolicyRequest& request)
      : nodes_(expr.nodes_), request_(request) {}

  bool truth(uint32_t node) const {
    Value v = eval(node);
    return v.kind == Value::Kind::kBool && v.boolean;
  }

 private:
  struct Value {
    enum class Kind : uint8_t { kMissing, kBool, kNumber, kString, kArray, kList, kOther };
    Kind kind = Kind::kMissing;
    bool boolean = false;
    double number = 0;
    std::string_view string;
    const json::array* array = nullptr;
    const std::vector<Literal>* list = nullptr;
  };
  using Kind = Node::Kind;

  static Value of(bool b) {
    Value v;
    v.kind = Value::Kind::kBool;
    v.boolean = b;
    return v;
  }
  static Value of(std::optional<std::string_view> s) {
    Value v;
    if (s) {
      v.kind = Value::Kind::kString;
      v.string = *s;
    }
    return v;
  }
  static Value of(const Literal& literal) {
    if (const bool* b = std::get_if<bool>(&literal)) return of(*b);
    Value v;
    if (const double* n = std::get_if<double>(&literal)) {
      v.kind = Value::Kind::kNumber;
      v.number = *n;
    } else {
      v.kind = Value::Kind::kString;
      v.string = std::get<std::string>(literal);
    }
    return v;
  }
  static Value of(const json::value* j) {
    Value v;
    if (j == nullptr) return v;
    switch (j->kind()) {
      case json::kind::bool_:
        return of(j->get_bool());
      case json::kind::int64:
      case json::kind::uint64:
      case json::kind::double_:
        v.kind = Value::Kind::kNumber;
        v.number = j->to_number<double>();
        return v;
      case json::kind::string:
        v.kind = Value::Kind::kString;
        v.string = j->get_string();
        return v;
      case json::kind::array:
        v.kind = Value::Kind::kArray;
        v.array = &j->get_array();
        return v;
      default:  // null, object
        v.kind = Value::Kind::kOther;
        return v;
    }
  }

  // Scalars of one type only: every other pair is "not comparable".
  static std::optional<bool> equal(const Value& a, const Value& b) {
    if (a.kind != b.kind) return std::nullopt;
    switch (a.kind) {
      case Value::Kind::kBool:
        return a.boolean == b.boolean;
      case Value::Kind::kNumber:
        return a.number == b.number;
      case Value::Kind::kString:
        return a.string == b.string;
      default:
        return std::nullopt;
    }
  }

  static bool member(const Value& item, const Value& container) {
    if (container.kind == Value::Kind::kArray) {
      for (const json::value& element : *container.array) {
        if (equal(item, of(&element)).value_or(false)) return true;
      }
    } else if (container.kind == Value::Kind::kList) {
      for (const Literal& element : *container.list) {
        if (equal(item, of(element)).value_or(false)) return true;
      }
    }
    return false;
  }

  const json::value* claim(const std::vector<std::string>& path) const {
    const json::object* object = request_.claims();
    const json::value* found = nullptr;
    for (const std::string& step : path) {
      if (object == nullptr) return nullptr;
      found = object->if_contains(step);
      if (found == nullptr) return nullptr;
      object = found->is_object() ? &found->get_object() : nullptr;
    }
    return found;
  }

  Value eval(uint32_t index) const {
    const Node& node = nodes_[index];
    switch (node.kind) {
      case Kind::kLiteral:
        return of(node.literal);
      case Kind::kList: {
        Value v;
        v.kind = Value::Kind::kList;
        v.list = &node.list;
        return v;
      }
      case Kind::kClaim:
        return of(claim(node.names));
      case Kind::kPath:
        return of(request_.path_param(node.names[0]));
      case Kind::kHeader:
        return of(request_.header(node.names[0]));
      case Kind::kQuery:
        return of(request_.query(node.names[0]));
      case Kind::kMethod:
        return of(std::optional<std::string_view>(request_.method()));
      case Kind::kConsumer: {
        std::string_view consumer = request_.consumer();
        return of(consumer.empty() ? std::nullopt : std::optional<std::string_view>(consumer));
      }
      case Kind::kNot: {
        Value operand = eval(node.children[0]);
        return of(operand.kind == Value::Kind::kBool && !operand.boolean);
      }
      case Kind::kAnd:
        for (uint32_t child : node.children) {
          if (!truth(child)) return of(false);
        }
        return of(true);
      case Kind::kOr:
        for (uint32_t child : node.children) {
          if (truth(child)) return of(true);
        }
        return of(false);
      case Kind::kEqual:
        return of(equal(eval(node.children[0]), eval(node.children[1])).value_or(false));
      case Kind::kNotEqual: {
        auto same = equal(eval(node.children[0]), eval(node.children[1]));
        return of(same.has_value() && !*same);
      }
      case Kind::kIn:
        return of(member(eval(node.children[0]), eval(node.children[1])));
    }
    return {};
  }

  const std::vector<Node>& nodes_;
  const PolicyRequest& request_;
};

bool PolicyExpression::allows(const PolicyRequest& request) const {
  if (nodes_.empty()) return false;
  return Evaluator(*this, request).truth(root_);
}

}  // namespace junction::auth
