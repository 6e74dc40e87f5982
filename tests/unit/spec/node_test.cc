#include "spec/node.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace junction::spec {
namespace {

TEST(NodeTest, ParsesAndLocatesEveryNode) {
  Diagnostics diags;
  auto root = Node::parse("a: 1\nb:\n  - x\n  - { y: z }\n", "dir/spec.yaml", diags);
  ASSERT_TRUE(root) << diags.format();
  EXPECT_TRUE(diags.ok());
  EXPECT_TRUE(root->is_map());
  EXPECT_EQ(root->kind_name(), "mapping");
  EXPECT_EQ(root->file(), "dir/spec.yaml");
  EXPECT_EQ(root->base_dir(), "dir");

  auto entries = root->entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].first.raw(), "a");
  EXPECT_EQ(entries[0].first.location().to_string(), "dir/spec.yaml:1:1");
  EXPECT_EQ(entries[0].second.location().to_string(), "dir/spec.yaml:1:4");
  EXPECT_EQ(entries[1].first.raw(), "b");

  Node b = root->get("b");
  EXPECT_TRUE(b.is_sequence());
  auto items = b.items();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].raw(), "x");
  EXPECT_EQ(items[0].location().to_string(), "dir/spec.yaml:3:5");
  EXPECT_EQ(items[1].get("y").raw(), "z");
  EXPECT_EQ(items[1].get("y").location().to_string(), "dir/spec.yaml:4:10");
}

TEST(NodeTest, MissingKeysAndWrongKindsAreUndefined) {
  Diagnostics diags;
  auto root = Node::parse("a: 1\n", "spec.yaml", diags);
  ASSERT_TRUE(root);
  EXPECT_FALSE(root->get("nope").defined());
  EXPECT_TRUE(root->get("nope").is_null());
  EXPECT_EQ(root->get("nope").kind_name(), "nothing");
  // A scalar has no keys or items; asking must not throw.
  Node a = root->get("a");
  EXPECT_FALSE(a.get("x").defined());
  EXPECT_TRUE(a.entries().empty());
  EXPECT_TRUE(a.items().empty());
  EXPECT_TRUE(Node().entries().empty());
}

TEST(NodeTest, EmptyValueIsLocatedAtItsKey) {
  // yaml-cpp places an empty value at the next token, the next key here.
  Diagnostics diags;
  auto root = Node::parse("first:\nsecond: 2\n", "spec.yaml", diags);
  ASSERT_TRUE(root);
  Node first = root->get("first");
  EXPECT_TRUE(first.is_null());
  EXPECT_EQ(first.location().to_string(), "spec.yaml:1:1");
}

TEST(NodeTest, SyntaxErrorIsADiagnosticWithItsPosition) {
  Diagnostics diags;
  auto root = Node::parse("a: [1, 2\nb: 3\n", "spec.yaml", diags);
  EXPECT_FALSE(root);
  EXPECT_EQ(diags.format(), "spec.yaml:2:2: error: invalid YAML: end of sequence flow not found\n");
}

TEST(NodeTest, BadIndentationIsADiagnostic) {
  Diagnostics diags;
  EXPECT_FALSE(Node::parse("a: 1\n  b: 2\n", "spec.yaml", diags));
  EXPECT_EQ(diags.format(), "spec.yaml:2:4: error: invalid YAML: illegal map value\n");
}

// yaml-cpp 0.7 loops forever on these when asked for every document.
TEST(NodeTest, StrayCommaIsAnErrorNotAHang) {
  Diagnostics diags;
  EXPECT_FALSE(Node::parse(",", "spec.yaml", diags));
  EXPECT_FALSE(Node::parse("{a: b},", "spec.yaml", diags));
  EXPECT_FALSE(Node::parse("a: 1\n[b], c\n", "spec.yaml", diags));
  EXPECT_EQ(diags.format(),
            "spec.yaml:1:1: error: invalid YAML: unexpected ','\n"
            "spec.yaml:1:7: error: invalid YAML: unexpected ','\n"
            "spec.yaml:2:4: error: invalid YAML: end of map not found\n");
}

TEST(NodeTest, SecondDocumentIsAnError) {
  Diagnostics diags;
  EXPECT_FALSE(Node::parse("a: 1\n---\nb: 2\n", "spec.yaml", diags));
  EXPECT_EQ(diags.format(),
            "spec.yaml:2:1: error: a spec is one YAML document, found a second one here; "
            "remove the '---' separator or split the spec into files\n");
}

TEST(NodeTest, EmptyTextIsANullRoot) {
  Diagnostics diags;
  auto root = Node::parse("# nothing\n", "spec.yaml", diags);
  ASSERT_TRUE(root);
  EXPECT_TRUE(root->is_null());
  EXPECT_TRUE(diags.ok());
}

TEST(NodeTest, UnreadableFileNamesIt) {
  Diagnostics diags;
  EXPECT_FALSE(Node::load_file("/nonexistent/dir/spec.yaml", diags));
  EXPECT_EQ(diags.format(),
            "/nonexistent/dir/spec.yaml: error: cannot read spec file "
            "'/nonexistent/dir/spec.yaml': No such file or directory\n");
}

TEST(NodeTest, DirectoryIsNotASpecFile) {
  Diagnostics diags;
  auto dir = std::filesystem::temp_directory_path();
  EXPECT_FALSE(Node::load_file(dir, diags));
  EXPECT_EQ(diags.format(), dir.string() + ": error: cannot read spec file '" + dir.string() +
                                "': it is a directory\n");
}

TEST(NodeTest, LoadsAFile) {
  auto path = std::filesystem::temp_directory_path() /
              ("junction_node_test_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "key: value\n";
  Diagnostics diags;
  auto root = Node::load_file(path, diags);
  std::filesystem::remove(path);
  ASSERT_TRUE(root) << diags.format();
  EXPECT_EQ(root->get("key").raw(), "value");
  EXPECT_EQ(root->get("key").location().to_string(), path.string() + ":1:6");
}

}  // namespace
}  // namespace junction::spec
