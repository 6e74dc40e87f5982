// junction_kafka_mock: runs librdkafka's mock cluster as a broker for tests.
//
//   junction_kafka_mock [--brokers N]
//
// Prints the bootstrap servers ("127.0.0.1:port,...") on one stdout line, then
// reads commands on stdin, one a line, answering "ok" or "error: ..." to each:
//   down [ID]              broker ID (default: every broker) refuses connections
//   up [ID]                broker ID (default: every broker) is back
//   topic NAME PARTITIONS  creates a topic
// Runs until stdin closes or SIGTERM / SIGINT.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) {
  g_stop = 1;
}

// Sets broker `id`, or every broker when id < 0, down or up.
rd_kafka_resp_err_t set_state(rd_kafka_mock_cluster_t* mc, int brokers, int id, bool up) {
  for (int b = 1; b <= brokers; ++b) {
    if (id >= 0 && b != id) continue;
    auto err = up ? rd_kafka_mock_broker_set_up(mc, b) : rd_kafka_mock_broker_set_down(mc, b);
    if (err) return err;
  }
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

std::string run_command(rd_kafka_mock_cluster_t* mc, int brokers, const std::string& line) {
  std::istringstream in(line);
  std::string cmd;
  in >> cmd;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (cmd == "down" || cmd == "up") {
    int id = -1;
    in >> id;
    err = set_state(mc, brokers, id, cmd == "up");
  } else if (cmd == "topic") {
    std::string name;
    int partitions = 0;
    in >> name >> partitions;
    if (name.empty() || partitions < 1) return "error: usage: topic NAME PARTITIONS";
    err = rd_kafka_mock_topic_create(mc, name.c_str(), partitions, 1);
  } else if (cmd.empty()) {
    return "";
  } else {
    return "error: unknown command " + cmd;
  }
  return err ? std::string("error: ") + rd_kafka_err2str(err) : "ok";
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 1;
  if (argc == 3 && std::strcmp(argv[1], "--brokers") == 0) brokers = std::atoi(argv[2]);
  if (brokers < 1 || (argc != 1 && argc != 3)) {
    std::cerr << "usage: junction_kafka_mock [--brokers N]\n";
    return 2;
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);

  // The mock cluster lives inside a client handle; a producer is the lightest.
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    std::cerr << "rd_kafka_new: " << errstr << "\n";
    return 1;
  }
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) {
    std::cerr << "cannot create the mock cluster\n";
    rd_kafka_destroy(rk);
    return 1;
  }
  std::cout << rd_kafka_mock_cluster_bootstraps(mc) << std::endl;

  std::string pending;
  while (!g_stop) {
    pollfd pfd{STDIN_FILENO, POLLIN, 0};
    int n = ::poll(&pfd, 1, 200);
    if (n < 0) continue;  // EINTR: the signal flag decides
    if (n == 0) continue;
    char buf[512];
    ssize_t got = ::read(STDIN_FILENO, buf, sizeof buf);
    if (got <= 0) break;  // stdin closed: the test is gone
    pending.append(buf, static_cast<size_t>(got));
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string reply = run_command(mc, brokers, pending.substr(0, nl));
      pending.erase(0, nl + 1);
      if (!reply.empty()) std::cout << reply << std::endl;
    }
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
