"""Tests of flamegraph.py's folding, layout and SVG:
    python3 -m unittest Interop/bench/test_flamegraph.py"""
import collections
import os
import shutil
import subprocess
import sys
import unittest
import xml.dom.minidom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flamegraph as fg  # noqa: E402

# perf script's text as perf 6.1 prints it for `perf record -g` (trimmed), plus a sample recorded
# without -g (its one frame on the header line, the command name padded).
SNIPPET = """\
NIO-ELT-0-#0  4524 [001]  189.157740:    1001001 cpu-clock:pppH: 
\t    55d0c0de1234 $s4spin4workys6UInt64VSiF+0xba (/tmp/fg/spin)
\t    7f12a0000010 __libc_start_call_main+0x80 (/usr/lib/x86_64-linux-gnu/libc.so.6)
\t    55d0c0de0042 _start+0x21 (/tmp/fg/spin)

NIO-ELT-0-#0  4524 [001]  189.158740:    1001001 cpu-clock:pppH: 
\tffffffff82248ae7 clear_page_erms+0x7 ([kernel.kallsyms])
\tffffffff81000c82 asm_exc_page_fault+0x22 ([kernel.kallsyms])
\t    7f12a0001000 std::vector<int, std::allocator<int> >::push_back(int const&)+0x1a (/usr/lib/libfoo.so)
\t    55d0c0de1234 $s4spin4workys6UInt64VSiF+0x10c (/tmp/fg/spin)
\t    7f12a0000010 __libc_start_call_main+0x80 (/usr/lib/x86_64-linux-gnu/libc.so.6)
\t    55d0c0de0042 _start+0x21 (/tmp/fg/spin)

gregor main  4530 [000]  189.159000:    1001001 cpu-clock:pppH: 
\t    7f12a0002000 memcpy+0x10 (/usr/lib/x86_64-linux-gnu/libc.so.6)
\t    7f12a0003000 [unknown] (/usr/lib/libswiftCore.so)
\t    7f12a0003100 [unknown] (/usr/lib/libswiftCore.so)
\t               0 [unknown] ([unknown])
\t               0 [unknown] ([unknown])

            spin  9337   379.261730:    1001001 cpu-clock:pppH:      7f9e67906f38 intel_check_word.constprop.0+0x158 (/usr/lib/ld-linux-x86-64.so.2)
"""


class Folding(unittest.TestCase):
    def folded(self, **kw):
        return fg.fold(fg.parse_perf_script(SNIPPET.splitlines(True)), demangle=False, **kw)

    def test_parse_gives_one_stack_per_sample_innermost_first(self):
        samples = fg.parse_perf_script(SNIPPET.splitlines(True))
        self.assertEqual([c for c, _ in samples], ["NIO-ELT-0-#0", "NIO-ELT-0-#0", "gregor main", "spin"])
        self.assertEqual(samples[0][1], ["$s4spin4workys6UInt64VSiF", "__libc_start_call_main", "_start"])
        self.assertEqual(samples[3][1], ["intel_check_word.constprop.0"])

    def test_fold_roots_first_strips_offsets_paths_and_arguments_and_collapses_unknown_runs(self):
        self.assertEqual(self.folded(), collections.Counter({
            ("_start", "__libc_start_call_main", "$s4spin4workys6UInt64VSiF"): 1,
            ("_start", "__libc_start_call_main", "$s4spin4workys6UInt64VSiF",
             "std::vector<int, std::allocator<int> >::push_back", "asm_exc_page_fault", "clear_page_erms"): 1,
            ("[unknown]", "[libswiftCore.so]", "memcpy"): 1,
            ("intel_check_word.constprop.0",): 1,
        }))

    def test_threads_option_roots_stacks_at_the_thread_name(self):
        self.assertIn(("gregor main", "[unknown]", "[libswiftCore.so]", "memcpy"), self.folded(threads=True))

    def test_argument_lists_go_but_swift_labels_stay(self):
        self.assertEqual(fg.strip_args("foo::bar(int, char const*) const"), "foo::bar")
        self.assertEqual(fg.strip_args("Foo::operator()(int)"), "Foo::operator()")
        self.assertEqual(fg.strip_args("closure #1 in Box.digest()"), "closure #1 in Box.digest()")
        self.assertEqual(fg.strip_args("Log.append(_:at:)"), "Log.append(_:at:)")
        self.assertEqual(fg.frame_name("[unknown]", "[unknown]"), "[unknown]")
        self.assertEqual(fg.frame_name("do_syscall_64+0x71", "[kernel.kallsyms]"), "do_syscall_64")

    def test_hottest_counts_self_and_inclusive_samples_once_per_sample(self):
        folded = collections.Counter({("main", "f", "g"): 3, ("main", "f"): 2, ("main", "f", "f"): 1})
        own, incl = fg.hottest(folded, 2)
        self.assertEqual(own, [("f", 3), ("g", 3)])
        self.assertEqual(incl, [("f", 6), ("main", 6)])
        self.assertEqual(fg.hottest(folded, 1)[0], [("f", 3)])

    @unittest.skipUnless(shutil.which("swift"), "no swift to demangle with")
    def test_swift_names_are_demangled_in_one_batch(self):
        folded = fg.fold(fg.parse_perf_script(SNIPPET.splitlines(True)))
        self.assertIn(("_start", "__libc_start_call_main", "work(_:)"), folded)


class Layout(unittest.TestCase):
    def test_widths_are_proportional_to_samples_and_children_sit_inside_parents(self):
        folded = collections.Counter({("main", "a"): 300, ("main", "b"): 100, ("other",): 600})
        frames = {f[0]: f for f in fg.layout(folded, width=1020)}            # 1000 px inside PAD
        self.assertAlmostEqual(frames["all"][3], 1000)
        self.assertAlmostEqual(frames["main"][3], 400)
        self.assertAlmostEqual(frames["a"][3], 3 * frames["b"][3])
        self.assertAlmostEqual(frames["other"][3], 600)
        self.assertEqual([frames[n][1] for n in ("all", "main", "a", "other")], [0, 1, 2, 1])
        self.assertAlmostEqual(frames["a"][2], frames["main"][2])             # a, then b, by name
        self.assertAlmostEqual(frames["b"][2], frames["a"][2] + frames["a"][3])
        self.assertAlmostEqual(frames["other"][2], frames["main"][2] + frames["main"][3])

    def test_frames_under_a_thousandth_are_left_out_with_everything_above_them(self):
        folded = collections.Counter({("main", "hot"): 1997, ("main", "cold", "colder"): 1, ("tiny",): 2})
        names = {f[0] for f in fg.layout(folded)}
        self.assertEqual(names, {"all", "main", "hot", "tiny"})              # 2/2000 is 0.1%: kept

    def test_svg_is_well_formed_root_at_the_bottom_with_titles_and_truncated_labels(self):
        name = "a_function_with_a_very_long_name_" * 5
        folded = collections.Counter({("main", name): 300, ("main", "x<y>&z"): 700})
        doc = xml.dom.minidom.parseString(fg.svg(folded, "t & t"))
        titles = [t.firstChild.data for t in doc.getElementsByTagName("title")]
        self.assertIn("all (1000 samples, 100.00%)", titles)
        self.assertIn("x<y>&z (700 samples, 70.00%)", titles)
        rects = {g.getElementsByTagName("title")[0].firstChild.data.split(" (")[0]:
                 g.getElementsByTagName("rect")[0] for g in doc.getElementsByTagName("g")}
        y = lambda n: float(rects[n].getAttribute("y"))
        self.assertGreater(y("all"), y("main"))
        self.assertGreater(y("main"), y(name))
        self.assertEqual(doc.documentElement.getAttribute("width"), "1200")
        self.assertEqual(rects["all"].getAttribute("height"), "15")
        labels = [t.firstChild.data for t in doc.getElementsByTagName("text") if t.firstChild]
        long_label = next(l for l in labels if l.startswith("a_function"))
        width = float(rects[name].getAttribute("width"))
        self.assertTrue(long_label.endswith(".."))
        self.assertTrue(width - 6 - fg.CHAR_W < len(long_label) * fg.CHAR_W <= width - 6)

    def test_command_line_writes_svg_folded_and_summary(self):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "perf.txt")
            with open(src, "w") as f:
                f.write(SNIPPET)
            p = subprocess.run([sys.executable, fg.__file__, src, "-o", os.path.join(d, "g.svg"), "--top", "4",
                                "--folded", os.path.join(d, "f.txt"), "--no-demangle"],
                               capture_output=True, text=True, check=True)
            self.assertIn("top 4 functions by self samples (of 4):", p.stdout)
            self.assertIn(" 25.0%        1  memcpy", p.stdout)
            with open(os.path.join(d, "f.txt")) as f:
                self.assertIn("[unknown];[libswiftCore.so];memcpy 1\n", f.read())
            xml.dom.minidom.parse(os.path.join(d, "g.svg"))


if __name__ == "__main__":
    unittest.main()
