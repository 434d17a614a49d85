"""Tests of cbench.py's CPU budget lines:
    python3 -m unittest Interop/bench/test_cbench.py"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cbench  # noqa: E402

PRODUCE = {"size": 1024, "acks": "1", "codec": "none", "parts": 1, "conns": 1}


def run(rps, mbps, secs, cpu, client_cpu, gb):
    return {"rps": str(rps), "mbps": str(mbps), "secs": str(secs), "cpu": cpu, "client_cpu": str(client_cpu),
            "gb": gb, "cpu_per_gb": cpu / gb}


class CpuBudgetTests(unittest.TestCase):
    def test_produce_predicts_the_ratio_from_cpu_per_gb(self):
        # gm.sh figures of this machine: 2 GB each, Gregor 0.95 s and its client 1.99 s in 1.55 s,
        # the mock 0.49 s and its client 1.82 s in 1.25 s.
        g = run(1_262_000, 1292.8, 1.55, 0.95, 1.99, 2.0)
        m = run(1_559_000, 1596.5, 1.25, 0.49, 1.82, 2.0)
        [line] = cbench.cpu_budget([("produce", PRODUCE, {"gregor": g, "mock": m})], 3500, cores=2)
        self.assertIn("client 0.99 + Gregor 0.47 against client 0.91 + mock 0.24", line)
        self.assertIn("predicts G/mock 0.79 (measured 0.81)", line)
        self.assertIn("needs Gregor at 0.16", line)
        self.assertIn("cores busy 1.90 and 1.85", line)

    def test_produce_out_of_reach_when_the_client_alone_costs_more(self):
        g = run(1000, 1.0, 1.0, 0.1, 2.0, 1.0)
        m = run(1000, 1.0, 1.0, 0.1, 1.9, 1.0)
        [line] = cbench.cpu_budget([("produce", PRODUCE, {"gregor": g, "mock": m})], 3500, cores=2)
        self.assertIn("out of reach", line)

    def test_produce_makes_no_prediction_when_a_run_left_a_core_idle(self):
        # The 1 KiB row of a run here: the mock's run kept 1.47 of the 2 cores busy.
        g = run(1_336_000, 1368.0, 0.75, 0.49 * 1.0, 0.94 * 1.0, 1.0)
        m = run(1_437_000, 1471.0, 0.68, 0.16, 0.84, 1.0)
        [line] = cbench.cpu_budget([("produce", PRODUCE, {"gregor": g, "mock": m})], 3500, cores=2)
        self.assertIn("cores busy 1.91 and 1.47: the mock's run left a core partly idle", line)
        self.assertNotIn("predicts", line)

    def test_consume_caps_at_the_clients_own_cost(self):
        # cons.sh figures: 1 GB at 1,300 MB/s, the client 0.60 s, Gregor 0.18 s.
        g = run(1_270_000, 1300.0, 0.77, 0.18, 0.60, 1.0)
        [line] = cbench.cpu_budget([("consume", {"topic": "c1"}, {"gregor": g})], 3530)
        self.assertIn("client 0.60 + Gregor 0.18 CPU s/GB, busy shares summing to 1.01", line)
        self.assertIn("1,667 MB/s, G/loop 0.47", line)

    def test_rows_without_cpu_figures_or_of_other_kinds_give_no_line(self):
        g = run(1000, 1.0, 1.0, 0.1, 2.0, 1.0)
        short = run(1000, 1.0, 0.1, 0.05, 0.3, 0.01)       # under half a CPU second: ticks, not figures
        self.assertEqual(cbench.cpu_budget([("rawproduce", {"batch": 16, "parts": 1}, {"gregor": g, "mock": g}),
                                            ("produce", PRODUCE, {"gregor": None, "mock": g}),
                                            ("produce", PRODUCE, {"gregor": g, "mock": short}),
                                            ("consume", {"topic": "c1"}, {"gregor": short}),
                                            ("fetch", {"topic": "t"}, {"gregor": g})], 3500), [])


if __name__ == "__main__":
    unittest.main()
