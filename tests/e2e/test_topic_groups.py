"""Consumer groups across processes: remote members of a running instance's
group share a topic's partitions with each other and with its flows."""
import json
import os
import signal
import subprocess
import threading
import unittest

from junction_e2e import BIN, JunctionTest, http_request, json_body, json_lines, wait_until

SPEC = """\
apiVersion: junction/v1
storage: { dir: data }
observability: { listen: 127.0.0.1:0 }
topics:
  events: { partitions: 4 }
flows:
  local:
    input: { topic: events, group: shared }
    output: { file: out.jsonl }
"""


class TopicGroupsTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.write("junction.yaml", SPEC)
        self.proc = self.start_junction("run", "junction.yaml")
        self.port = int(self.wait_for_log(r"observability on \S+ \(port (\d+)\)",
                                          proc=self.proc).group(1))
        self.wait_for_log(r"flow local: running", proc=self.proc)

    # --- the HTTP API, as a client of it would use it ---

    def call(self, method, path, body=None):
        status, headers, raw = http_request(self.port, method, path,
                                            body=None if body is None else json.dumps(body))
        return status, headers, (json_body(raw) if raw else None)

    def produce(self, values):
        records = [{"value": {"n": n}, "partition": n % 4} for n in values]
        status, _, body = self.call("POST", "/topics/events/records", records)
        self.assertEqual(status, 200, body)

    def join(self, group, **settings):
        status, _, body = self.call("POST", f"/topics/events/groups/{group}/members", settings)
        self.assertEqual(status, 200, body)
        return body

    def poll(self, group, member, wait="0s"):
        status, _, body = self.call(
            "GET", f"/topics/events/records?group={group}&member={member}&wait={wait}")
        self.assertEqual(status, 200, body)
        return body

    def poll_until(self, group, member, count, what):
        """Polls (heartbeating) until `count` records came; returns them."""
        got = []
        wait_until(lambda: got.extend(self.poll(group, member, "1s")["records"]) or len(got) >= count,
                   what=what)
        self.assertEqual(len(got), count, "no more than expected")
        return got

    def commit(self, group, member, offsets):
        return self.call("POST", f"/topics/events/groups/{group}/offsets?member={member}",
                         [{"partition": p, "offset": o} for p, o in offsets.items()])

    def commit_in(self, group, member, generation, offsets):
        """A commit naming the generation its records were handed out in."""
        return self.call("POST", f"/topics/events/groups/{group}/offsets?member={member}",
                         {"generation": generation,
                          "offsets": [{"partition": p, "offset": o} for p, o in offsets.items()]})

    def committed(self, group):
        return {p["partition"]: p["committed"] for p in self.group(group)["partitions"]}

    def moved(self, group):
        """Partitions committed past where the group began (nothing, or 0:
        what members commit before anything was acked)."""
        return {p: c for p, c in self.committed(group).items() if c}

    def values(self, records):
        return [json.loads(r["value"])["n"] for r in records]

    def local_values(self):
        if not os.path.exists(self.path("out.jsonl")):
            return []
        return [o["n"] for o in json_lines(self.read("out.jsonl"))]

    def test_remote_members_share_partitions_with_a_flow_and_each_other(self):
        # A remote member of the flow's group gets half of the partitions
        # (sticky: the flow keeps the lower half it owned).
        remote = self.join("shared")
        self.assertEqual(sorted(remote["partitions"]), [2, 3])
        self.produce(range(40))
        got = self.poll_until("shared", remote["member"], 20, "the remote member's half")
        self.assertEqual({r["partition"] for r in got}, {2, 3})
        wait_until(lambda: len(self.local_values()) >= 20, what="the flow's half")
        self.assertEqual(sorted(self.values(got) + self.local_values()), list(range(40)),
                         "each record went to exactly one member")
        # Order is kept per partition.
        for p in (2, 3):
            offsets = [r["offset"] for r in got if r["partition"] == p]
            self.assertEqual(offsets, sorted(offsets))
        status, _, body = self.commit("shared", remote["member"], {2: 10, 3: 10})
        self.assertEqual(status, 200, body)
        # Leaving hands its partitions back to the flow.
        status, _, _ = self.call("DELETE", f"/topics/events/groups/shared/members/{remote['member']}")
        self.assertEqual(status, 200)
        self.produce(range(40, 44))
        wait_until(lambda: len(self.local_values()) >= 24, what="the flow to own every partition")
        self.assertEqual(sorted(self.local_values())[-4:], [40, 41, 42, 43])

        # Two remote members of another group split the topic...
        a = self.join("g", session_timeout="3s")
        b = self.join("g", session_timeout="3s")
        a_got = self.poll_until("g", a["member"], 22, "a's partitions")
        b_got = self.poll_until("g", b["member"], 22, "b's partitions")
        self.assertEqual(sorted(self.values(a_got) + self.values(b_got)), list(range(44)))
        self.assertFalse({r["partition"] for r in a_got} & {r["partition"] for r in b_got})
        # ...a commits everything, b only the first 5 records of each partition.
        a_next = {r["partition"]: r["offset"] + 1 for r in a_got}
        self.assertEqual(self.commit("g", a["member"], a_next)[0], 200)
        self.assertEqual(self.commit("g", b["member"], {p: 5 for p in b["partitions"]})[0], 200)
        b_uncommitted = sorted(self.values([r for r in b_got if r["offset"] >= 5]))
        self.assertEqual(len(b_uncommitted), 12)

        # b goes silent: past its session timeout a takes over its partitions,
        # from b's committed offsets. Nothing is lost.
        taken = self.poll_until("g", a["member"], 12, "a to take over b's partitions")
        self.assertEqual(sorted(self.values(taken)), b_uncommitted)
        last = self.poll("g", a["member"])
        self.assertEqual(sorted(last["partitions"]), [0, 1, 2, 3])
        self.assertGreater(last["generation"], a["generation"])
        status, headers, body = self.commit("g", b["member"], {b["partitions"][0]: 11})
        self.assertEqual(status, 404, body)
        self.assertEqual(headers["Content-Type"], "application/problem+json")
        self.assertIn("join again", body["detail"])
        status, _, _ = self.call("GET", f"/topics/events/records?group=g&member={b['member']}")
        self.assertEqual(status, 404)

        # A rebalance takes partitions from a: its commits for them are refused.
        c = self.join("g", session_timeout="3s")
        lost = c["partitions"][0]
        status, headers, body = self.commit("g", a["member"], {lost: 11})
        self.assertEqual(status, 409, body)
        self.assertEqual(headers["Content-Type"], "application/problem+json")
        self.assertIn("no longer assigned", body["detail"])
        # Nobody commits a group from outside while it has members.
        status, _, body = self.call("POST", "/topics/events/groups/g/offsets",
                                    [{"partition": 0, "offset": 0}])
        self.assertEqual(status, 409, body)
        # A stop with members still in the group (and one waiting in a poll) is clean.
        self.poll("g", c["member"])
        poller = threading.Thread(target=lambda: http_request(
            self.port, "GET", f"/topics/events/records?group=g&member={c['member']}&wait=20s"))
        poller.start()
        self.assertEqual(self.stop(self.proc, timeout=15), 0, self.log())
        poller.join()

    def group(self, name):
        status, _, body = self.call("GET", f"/topics/events/groups/{name}")
        self.assertEqual(status, 200, body)
        return body

    def test_a_group_shows_its_members_offsets_and_lag(self):
        # The flow alone: one local member with every partition.
        g = self.group("shared")
        self.assertGreaterEqual(g["generation"], 1)
        self.assertEqual([(m["kind"], m["partitions"]) for m in g["members"]],
                         [("local", [0, 1, 2, 3])])
        self.assertNotIn("session_timeout_ms", g["members"][0])
        flow_id = g["members"][0]["id"]

        # A remote member takes half; its listed id is its API id's prefix,
        # and the secret rest of the API id is not shown.
        r = self.join("shared", session_timeout="30s")
        self.assertEqual(r["partitions"], [2, 3])
        g = self.group("shared")
        self.assertEqual(g["generation"], r["generation"])
        local, remote = g["members"]
        self.assertEqual((local["id"], local["partitions"]), (flow_id, [0, 1]))
        self.assertEqual(remote["kind"], "remote")
        self.assertEqual(str(remote["id"]), r["member"].split("-")[0])
        self.assertNotIn(r["member"], json.dumps(g))
        self.assertEqual(remote["partitions"], [2, 3])
        self.assertEqual(remote["session_timeout_ms"], 30000)
        self.assertGreaterEqual(remote["heartbeat_age_ms"], 0)
        self.assertLess(remote["heartbeat_age_ms"], 30000)
        self.assertEqual([p["owner"] for p in g["partitions"]],
                         [flow_id, flow_id, remote["id"], remote["id"]])

        # Committed offsets and lag: the remote member commits part of its
        # records, the flow all of its own.
        self.produce(range(12))  # 3 records per partition
        got = self.poll_until("shared", r["member"], 6, "the remote member's records")
        self.assertEqual(self.commit("shared", r["member"], {2: 3, 3: 1})[0], 200)
        wait_until(lambda: [p["committed"] for p in self.group("shared")["partitions"]][:2] == [3, 3],
                   what="the flow to commit its partitions")
        g = self.group("shared")
        self.assertEqual([(p["committed"], p["end"], p["lag"]) for p in g["partitions"]],
                         [(3, 3, 0), (3, 3, 0), (3, 3, 0), (1, 3, 2)])
        self.assertEqual(g["lag"], 2)
        self.assertEqual(len(got), 6)

        # Sticky: a third member takes one partition, from the remote member
        # (the flow, which joined first, keeps its two); nothing else moves.
        r2 = self.join("shared", session_timeout="30s")
        self.assertEqual(r2["partitions"], [3])
        self.assertEqual(self.poll("shared", r["member"])["partitions"], [2])
        self.assertEqual([p["owner"] for p in self.group("shared")["partitions"]],
                         [flow_id, flow_id, remote["id"], int(r2["member"].split("-")[0])])
        # r2 starts from the committed offset: the two records r left uncommitted.
        self.assertEqual(len(self.poll_until("shared", r2["member"], 2, "r2's records")), 2)

        # Every group of the topic, and the CLI's view of the running instance.
        status, _, body = self.call("GET", "/topics/events/groups")
        self.assertEqual(status, 200, body)
        self.assertEqual([x["group"] for x in body["groups"]], ["shared"])
        r_cli = self.run_junction("topic", "describe", "events", "--server",
                                  f"http://127.0.0.1:{self.port}")
        self.assertEqual(r_cli.returncode, 0, r_cli.stderr)
        self.assertRegex(r_cli.stdout, r"group shared: lag \d+, generation \d+, 3 members")
        self.assertIn(f"member {flow_id} (local flow consumer): partitions 0, 1", r_cli.stdout)
        self.assertRegex(r_cli.stdout,
                         rf"member {remote['id']} \(remote, heard \S+ ago, session timeout 30s\): "
                         r"partitions 2\n")

        # Unknown topics and groups are problems.
        for path, want in [("/topics/events/groups/nobody", 404), ("/topics/nope/groups/shared", 404),
                           ("/topics/nope/groups", 404)]:
            status, headers, body = self.call("GET", path)
            self.assertEqual(status, want, f"{path}: {body}")
            self.assertEqual(headers["Content-Type"], "application/problem+json")
        status, _, _ = self.call("DELETE", "/topics/events/groups/shared")
        self.assertEqual(status, 405)

        # On the storage dir, once stopped: committed offsets and lag, no members.
        self.assertEqual(self.stop(self.proc), 0, self.log())
        r_cli = self.run_junction("topic", "describe", "events", "--dir", "data")
        self.assertEqual(r_cli.returncode, 0, r_cli.stderr)
        self.assertRegex(r_cli.stdout, r"group shared: lag \d+, no members")
        self.assertRegex(r_cli.stdout, r"\n\s+0\s+3\s+3\s+0\s+-\n")

    def test_a_commit_from_an_earlier_tenure_is_fenced_by_generation(self):
        # a reads every partition in g1.
        self.produce(range(12))  # 3 records per partition
        a = self.join("fenced")
        self.assertEqual(a["partitions"], [0, 1, 2, 3])
        got = self.poll_until("fenced", a["member"], 12, "a's records")
        g1 = self.poll("fenced", a["member"])["generation"]
        self.assertEqual(g1, a["generation"])
        through = {r["partition"]: r["offset"] + 1 for r in got}

        # b's join takes 2 and 3 from a; b's leave gives them back in g3.
        b = self.join("fenced")
        self.assertEqual(b["partitions"], [2, 3])
        self.assertEqual(self.call("DELETE", f"/topics/events/groups/fenced/members/{b['member']}")[0],
                         200)
        # 2 and 3 start over from the committed offset: a gets them again, in g3.
        again = self.poll_until("fenced", a["member"], 6, "2 and 3 delivered again")
        self.assertEqual(sorted({r["partition"] for r in again}), [2, 3])
        g3 = self.poll("fenced", a["member"])["generation"]
        self.assertEqual(g3, g1 + 2)

        # What a read of 2 and 3 in g1 went to b in between: a commit of what
        # a made of its g1 records is refused as a whole, kept partitions 0
        # and 1 included.
        status, headers, body = self.commit_in("fenced", a["member"], g1, through)
        self.assertEqual(status, 409, body)
        self.assertEqual(headers["Content-Type"], "application/problem+json")
        self.assertEqual(body["type"], "https://junction.dev/problems/stale-generation")
        self.assertEqual((body["partition"], body["generation"], body["owned_since"]), (2, g1, g3))
        self.assertIn(f"partition 2 since generation {g3}", body["detail"])
        self.assertIn(f"after generation {g1}", body["detail"])
        self.assertEqual(self.moved("fenced"), {})
        # A generation the group has not reached is a bad request.
        status, _, body = self.commit_in("fenced", a["member"], g3 + 1, through)
        self.assertEqual(status, 400, body)
        self.assertEqual(self.moved("fenced"), {})

        # Naming g3, in which a got 2 and 3 again, the commit goes through.
        status, _, body = self.commit_in("fenced", a["member"], g3, through)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.committed("fenced"), {0: 3, 1: 3, 2: 3, 3: 3})

    def test_bad_requests_are_problems(self):
        cases = [
            ("POST", "/topics/nope/groups/g/members", {}, 404),
            ("POST", "/topics/events/groups/g/members", {"session_timeout": "1h"}, 400),
            ("POST", "/topics/events/groups/g/members", {"session_timeout": 5}, 400),
            ("POST", "/topics/events/groups/g/members", {"start": "sometime"}, 400),
            ("POST", "/topics/events/groups/g/members", {"sesion_timeout": "5s"}, 400),
            ("DELETE", "/topics/events/groups/g/members/nobody", None, 404),
            ("GET", "/topics/events/records?member=m", None, 400),
            ("GET", "/topics/events/records?group=g&member=nobody", None, 404),
            ("POST", "/topics/events/groups/g/offsets", {"generation": 1, "offsets": []}, 400),
            ("POST", "/topics/events/groups/g/offsets?member=m", {"generation": -1, "offsets": []},
             400),
            ("POST", "/topics/events/groups/g/offsets?member=m", {"generation": 1, "ofsets": []},
             400),
            ("POST", "/topics/events/groups/g/offsets?member=m", {"generation": 1}, 400),
        ]
        for method, path, body, want in cases:
            status, headers, got = self.call(method, path, body)
            self.assertEqual(status, want, f"{method} {path} {body}: {got}")
            self.assertEqual(headers["Content-Type"], "application/problem+json")
        # One poll at a time per member.
        m = self.join("g")["member"]
        path = f"/topics/events/records?group=g&member={m}"

        def wait_in_a_poll():
            # Until this one is the poll that waits (not the one refused).
            while http_request(self.port, "GET", path + "&wait=3s")[0] == 409:
                pass

        waiting = threading.Thread(target=wait_in_a_poll)
        waiting.start()
        wait_until(lambda: self.call("GET", path)[0] == 409,
                   what="a second poll to be refused")
        waiting.join()
        self.assertEqual(self.stop(self.proc), 0, self.log())

    # --- `junction topic consume --group --server`, as processes ---

    def consumer(self, name):
        out = open(self.path(f"{name}.out"), "w")
        err = open(self.path(f"{name}.err"), "w")
        self.logs += [out, err]
        p = subprocess.Popen(
            [BIN, "topic", "consume", "events", "--group", "cli", "--follow", "--session-timeout",
             "2s", "--server", f"http://127.0.0.1:{self.port}"],
            cwd=self.dir, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        self.procs.append(p)
        return p

    def printed(self, name):
        return [json.loads(r["value"])["n"] for r in json_lines(self.read(f"{name}.out"))]

    def test_cli_members_split_the_topic_and_one_takes_over_when_the_other_is_killed(self):
        a = self.consumer("a")
        wait_until(lambda: "joined group cli" in self.read("a.err"), what="a to join")
        b = self.consumer("b")
        wait_until(lambda: "joined group cli" in self.read("b.err"), what="b to join")
        self.produce(range(40))
        wait_until(lambda: len(self.printed("a")) + len(self.printed("b")) >= 40,
                   what="both to print the first 40")
        first_a, first_b = self.printed("a"), self.printed("b")
        self.assertEqual(sorted(first_a + first_b), list(range(40)),
                         "while both are alive, each record is printed once")
        self.assertEqual(len(first_a), 20)
        # Wait for their commits (the group's own view: nothing left to read).
        wait_until(lambda: self.call("GET", "/topics/events/records?group=cli")[2]["records"] == [],
                   what="both members to commit")

        b.send_signal(signal.SIGKILL)
        b.wait()
        self.produce(range(40, 80))
        # a goes on with its partitions at once, and with b's once b's session ran out.
        wait_until(lambda: set(range(40, 80)) <= set(self.printed("a")),
                   what="a to take over b's partitions")
        self.assertEqual(sorted(self.printed("a")), sorted(first_a + list(range(40, 80))),
                         "a printed b's committed records neither again nor missed any")
        self.assertEqual(self.printed("b"), first_b)

        # SIGTERM: a commits, leaves and exits; the group is empty again.
        self.assertEqual(self.stop(a, timeout=15), 0, self.read("a.err"))
        self.wait_for_log(r"group cli topic events: remote member \S+ left")
        status, _, body = self.call("POST", "/topics/events/groups/cli/offsets",
                                    [{"partition": 0, "offset": 20}])
        self.assertEqual(status, 200, body)
        self.assertEqual(self.stop(self.proc), 0, self.log())


if __name__ == "__main__":
    unittest.main()
