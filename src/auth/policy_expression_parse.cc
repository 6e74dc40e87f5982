#include <charconv>
#include <string>

#include "auth/policy_expression.h"

namespace junction::auth {

// Recursive descent over the text, C precedence (loosest first):
//   or      := and ('||' and)*
//   and     := compare ('&&' compare)*
//   compare := unary (('==' | '!=' | 'in') unary)?     not chainable
//   unary   := '!' unary | primary
//   primary := literal | list | reference | '(' or ')'
// Chains of && and || become one node with many children, so only
// parentheses and `!` deepen the tree, and both are counted.
class PolicyExpression::Parser {
 public:
  Parser(std::string_view text, std::vector<Node>& nodes) : text_(text), nodes_(nodes) {}

  Result<uint32_t> parse() {
    auto root = parse_or();
    if (!root) return root;
    skip_space();
    if (pos_ != text_.size()) return fail("unexpected " + quoted(text_[pos_]));
    return root;
  }

 private:
  using Kind = Node::Kind;

  // A byte of the expression for an error message; control bytes are not
  // echoed into a log line.
  static std::string quoted(char c) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) return "a byte outside printable ASCII";
    return "'" + std::string(1, c) + "'";
  }

  Error fail(const std::string& what) const {
    return Error::invalid("column " + std::to_string(pos_ + 1) + ": " + what);
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  // Consumes `token` if it comes next (after blanks).
  bool accept(std::string_view token) {
    skip_space();
    if (text_.substr(pos_).starts_with(token)) {
      pos_ += token.size();
      return true;
    }
    return false;
  }

  static bool name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }
  static bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9') || c == '-'; }

  // Consumes a keyword only when no name character follows: `in` is not
  // the start of `index`.
  bool accept_word(std::string_view word) {
    skip_space();
    if (!text_.substr(pos_).starts_with(word)) return false;
    size_t end = pos_ + word.size();
    if (end < text_.size() && name_char(text_[end])) return false;
    pos_ = end;
    return true;
  }

  std::string_view name() {
    size_t start = pos_;
    if (pos_ < text_.size() && name_start(text_[pos_])) {
      while (pos_ < text_.size() && name_char(text_[pos_])) ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

  uint32_t add(Node node) {
    nodes_.push_back(std::move(node));
    return static_cast<uint32_t>(nodes_.size() - 1);
  }

  Result<uint32_t> nest() {
    if (++depth_ > kMaxDepth) return fail("the expression is nested too deeply");
    return 0u;
  }

  // A left-associative chain of one operator, kept flat.
  template <class Next>
  Result<uint32_t> chain(std::string_view op, Kind kind, Next next) {
    auto first = (this->*next)();
    if (!first) return first;
    Node node;
    node.kind = kind;
    node.children.push_back(*first);
    while (accept(op)) {
      auto more = (this->*next)();
      if (!more) return more;
      node.children.push_back(*more);
    }
    if (node.children.size() == 1) return *first;
    return add(std::move(node));
  }

  Result<uint32_t> parse_or() { return chain("||", Kind::kOr, &Parser::parse_and); }
  Result<uint32_t> parse_and() { return chain("&&", Kind::kAnd, &Parser::parse_compare); }

  Result<uint32_t> parse_compare() {
    auto left = parse_unary();
    if (!left) return left;
    Kind kind;
    if (accept("==")) {
      kind = Kind::kEqual;
    } else if (accept("!=")) {
      kind = Kind::kNotEqual;
    } else if (accept_word("in")) {
      kind = Kind::kIn;
    } else {
      return left;
    }
    skip_space();
    size_t right_at = pos_;
    auto right = parse_unary();
    if (!right) return right;
    Kind right_kind = nodes_[*right].kind;
    if (kind == Kind::kIn && (right_kind == Kind::kLiteral || right_kind == Kind::kNot ||
                              right_kind == Kind::kMethod || right_kind == Kind::kConsumer)) {
      pos_ = right_at;
      return fail("'in' needs a list or a claim on its right, like claims.roles");
    }
    skip_space();
    if (text_.substr(pos_).starts_with("==") || text_.substr(pos_).starts_with("!=")) {
      return fail("comparisons do not chain; use parentheses and && instead");
    }
    Node node;
    node.kind = kind;
    node.children = {*left, *right};
    return add(std::move(node));
  }

  Result<uint32_t> parse_unary() {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '!' &&
        !(pos_ + 1 < text_.size() && text_[pos_ + 1] == '=')) {
      ++pos_;
      if (auto deeper = nest(); !deeper) return deeper;
      auto operand = parse_unary();
      if (!operand) return operand;
      --depth_;
      Node node;
      node.kind = Kind::kNot;
      node.children.push_back(*operand);
      return add(std::move(node));
    }
    return parse_primary();
  }

  Result<uint32_t> parse_primary() {
    skip_space();
    if (pos_ >= text_.size()) return fail("expected a value, got the end of the expression");
    char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      if (auto deeper = nest(); !deeper) return deeper;
      auto inner = parse_or();
      if (!inner) return inner;
      if (!accept(")")) return fail("expected ')'");
      --depth_;
      return inner;
    }
    if (c == '[') return parse_list();
    if (c == '\'' || c == '"' || c == '-' || (c >= '0' && c <= '9')) {
      auto literal = parse_literal();
      if (!literal) return std::move(literal).error();
      Node node;
      node.literal = std::move(*literal);
      return add(std::move(node));
    }
    if (name_start(c)) return parse_reference();
    return fail("expected a value, got " + quoted(c));
  }

  Result<Literal> parse_literal() {
    skip_space();
    if (pos_ >= text_.size()) return fail("expected a literal");
    char c = text_[pos_];
    if (c == '\'' || c == '"') return parse_string();
    if (c == '-' || (c >= '0' && c <= '9')) {
      double value = 0;
      auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), value);
      if (ec != std::errc()) return fail("invalid number");
      pos_ = static_cast<size_t>(end - text_.data());
      return Literal(value);
    }
    if (accept_word("true")) return Literal(true);
    if (accept_word("false")) return Literal(false);
    return fail("expected a literal");
  }

  // 'text' or "text"; a backslash escapes the next character.
  Result<Literal> parse_string() {
    char quote = text_[pos_++];
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') {
        if (++pos_ >= text_.size()) break;
      }
      out += text_[pos_++];
    }
    if (pos_ >= text_.size()) return fail("unterminated string");
    ++pos_;
    return Literal(std::move(out));
  }

  Result<uint32_t> parse_list() {
    ++pos_;  // '['
    Node node;
    node.kind = Kind::kList;
    if (!accept("]")) {
      do {
        auto item = parse_literal();
        if (!item) return std::move(item).error();
        node.list.push_back(std::move(*item));
      } while (accept(","));
      if (!accept("]")) return fail("expected ',' or ']'");
    }
    return add(std::move(node));
  }

  // `.name` or `['any text']`: one step of a reference.
  Result<std::string> parse_step() {
    if (accept("[")) {
      skip_space();
      if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
        return fail("expected a quoted name inside [ ]");
      }
      auto key = parse_string();
      if (!key) return std::move(key).error();
      if (!accept("]")) return fail("expected ']'");
      return std::get<std::string>(std::move(*key));
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      std::string_view step = name();
      if (step.empty()) return fail("expected a name after '.'");
      return std::string(step);
    }
    return fail("expected '.' or '[' after the name");
  }

  bool step_follows() const {
    return pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == '[');
  }

  Result<uint32_t> parse_reference() {
    size_t start = pos_;
    std::string_view root = name();
    if (root == "true" || root == "false") {
      Node node;
      node.literal = root == "true";
      return add(std::move(node));
    }
    Node node;
    if (root == "claims") {
      node.kind = Kind::kClaim;
      do {
        if (node.names.size() == kMaxClaimPath) return fail("the claim path is too long");
        auto step = parse_step();
        if (!step) return std::move(step).error();
        node.names.push_back(std::move(*step));
      } while (step_follows());
      return add(std::move(node));
    }
    if (root == "path" || root == "header" || root == "headers" || root == "query") {
      node.kind = root == "path" ? Kind::kPath : root == "query" ? Kind::kQuery : Kind::kHeader;
      auto step = parse_step();
      if (!step) return std::move(step).error();
      node.names.push_back(std::move(*step));
      if (step_follows()) return fail("'" + std::string(root) + "' takes one name");
      return add(std::move(node));
    }
    if (root == "request" || root == "identity") {
      auto step = parse_step();
      if (!step) return std::move(step).error();
      if (root == "request" && *step == "method") {
        node.kind = Kind::kMethod;
        return add(std::move(node));
      }
      if (root == "identity" && *step == "consumer") {
        node.kind = Kind::kConsumer;
        return add(std::move(node));
      }
      pos_ = start;
      return fail("unknown field '" + std::string(root) + "." + *step +
                  "'; request.method and identity.consumer are known");
    }
    pos_ = start;
    return fail("unknown name '" + std::string(root) +
                "'; expected claims, path, header, headers, query, request, identity, true or "
                "false");
  }

  std::string_view text_;
  std::vector<Node>& nodes_;
  size_t pos_ = 0;
  int depth_ = 0;
};

Result<PolicyExpression> PolicyExpression::parse(std::string_view text) {
  if (text.size() > kMaxLength) {
    return Error::invalid("the expression is longer than " + std::to_string(kMaxLength) + " bytes");
  }
  PolicyExpression expr;
  expr.text_ = std::string(text);
  Parser parser(expr.text_, expr.nodes_);
  auto root = parser.parse();
  if (!root) return std::move(root).error();
  expr.root_ = *root;
  return expr;
}

}  // namespace junction::auth
