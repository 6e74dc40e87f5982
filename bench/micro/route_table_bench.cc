// Route lookup for a gateway of 100 routes: the segment trie against a
// sorted list of templates tried in precedence order, plus the cost of
// normalising the request path that both need first.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gateway/route_table.h"

namespace junction::gateway {
namespace {

// 20 resources x 5 routes, the shape of a typical REST API.
std::vector<Route> hundred_routes() {
  std::vector<Route> routes;
  for (int i = 0; i < 20; ++i) {
    std::string base = "/v1/resource" + std::to_string(i);
    routes.push_back({{"GET", "POST"}, base});
    routes.push_back({{"GET", "PUT", "DELETE"}, base + "/{id}"});
    routes.push_back({{"GET"}, base + "/{id}/items"});
    routes.push_back({{"GET"}, base + "/{id}/items/{item}"});
    routes.push_back({{"GET"}, base + "/{id}/files/*"});
  }
  return routes;
}

const char* const kTargets[] = {
    "/v1/resource0",                    // first route declared
    "/v1/resource19/abc-123/items/77",  // last resource, deep, two params
    "/v1/resource7/abc/files/a/b/c.txt",
    "/v1/nothing/here",  // 404
};

void BM_RouteTableMatch(benchmark::State& state) {
  auto table = RouteTable::build(hundred_routes()).value();
  auto path = normalize_path(kTargets[state.range(0)]).value();
  Headers headers;
  for (auto _ : state) {
    auto m = table.match("GET", "api.example.com", path, headers);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteTableMatch)->DenseRange(0, 3);

// The alternative design: every template in precedence order, first match
// with the method wins.
struct SortedList {
  std::vector<PathTemplate> templates;
  std::vector<std::vector<std::string>> methods;
};

int rank(const PathTemplate& t, size_t i) {
  if (i < t.segments().size()) {
    return t.segments()[i].kind == PathTemplate::SegmentKind::kLiteral ? 0 : 1;
  }
  return t.wildcard() ? 3 : 2;  // ending here beats a wildcard here
}

SortedList sorted_list() {
  SortedList list;
  std::vector<Route> routes = hundred_routes();
  std::vector<size_t> order(routes.size());
  std::vector<PathTemplate> compiled;
  for (size_t i = 0; i < routes.size(); ++i) {
    order[i] = i;
    compiled.push_back(PathTemplate::compile(routes[i].path).value());
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& x = compiled[a];
    const auto& y = compiled[b];
    size_t n = std::max(x.segments().size(), y.segments().size()) + 1;
    for (size_t i = 0; i < n; ++i) {
      if (rank(x, i) != rank(y, i)) return rank(x, i) < rank(y, i);
    }
    return false;
  });
  for (size_t i : order) {
    list.templates.push_back(compiled[i]);
    list.methods.push_back(routes[i].methods);
  }
  return list;
}

void BM_SortedListMatch(benchmark::State& state) {
  SortedList list = sorted_list();
  auto path = normalize_path(kTargets[state.range(0)]).value();
  PathParams params;
  for (auto _ : state) {
    size_t found = list.templates.size();
    for (size_t i = 0; i < list.templates.size(); ++i) {
      const auto& m = list.methods[i];
      if (list.templates[i].match(path, params) &&
          std::find(m.begin(), m.end(), "GET") != m.end()) {
        found = i;
        break;
      }
    }
    benchmark::DoNotOptimize(found);
    benchmark::DoNotOptimize(params);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SortedListMatch)->DenseRange(0, 3);

void BM_NormalizePath(benchmark::State& state) {
  const char* target = kTargets[state.range(0)];
  for (auto _ : state) {
    auto p = normalize_path(target);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NormalizePath)->DenseRange(0, 3);

}  // namespace
}  // namespace junction::gateway
