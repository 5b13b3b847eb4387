# SPDX-License-Identifier: MIT
"""The boot tests: which modules to boot with which kernel command line, and what the serial
log and QEMU's exit must show. Module patterns are globs under build/user/."""
import os
from dataclasses import dataclass, field


@dataclass
class BootTest:
    name: str
    modules: list = field(default_factory=list)
    cmdline: list = field(default_factory=list)     # besides debugexit
    cdrom: str = ""                                 # boot this ISO through GRUB instead
    expect_any_order: list = field(default_factory=list)    # regexes, all before expect's
    any_order_before: bool = True                   # False: anywhere, expect's included
    expect: list = field(default_factory=list)      # regexes, matched in this order
    forbid: list = field(default_factory=lambda: [r"PANIC", r"TEST FAIL"])
    reason: str = "success"                         # how the machine must stop
    trace_through: list = field(default_factory=list)   # functions the panic trace names
    within_seconds: float = 0.0                     # limit to the last expected line
    qemu_extra: list = field(default_factory=list)
    timeout: float = 20.0
    script: list = field(default_factory=list)      # (regex, text to type) pairs


GREETING = r"Hello from the root task: Mica is up\."

FAULTS = {
    "pf": r"page fault at 0 \(read, not present\)",
    "gp": r"general protection fault",
    "ud": r"undefined instruction",
    "de": r"divide error",
    "bp": r"breakpoint",
    "nx": r"page fault at 0x7ff\w+ \(fetch, protection\)",
    "kmem": r"page fault at 0xffffffff80100000 \(read, protection\)",
    "wtext": r"page fault at 0x4\w+ \(write, protection\)",
}


def bad_elf_expectations(build):
    """One refusal line per malformed module, from the index mkbadelf.py wrote."""
    index = os.path.join(build, "user", "bad", "expected.txt")
    if not os.path.exists(index):
        return [r"expected\.txt is missing: run make"]
    out = []
    for line in sorted(open(index)):                # the modules boot in sorted order
        name, reason = line.rstrip("\n").split("\t")
        if reason == "no ELF magic":                # not a program at all: data
            out.append(rf"boot module \d+ '{name}': data, not a program")
        else:
            out.append(rf"boot module \d+ '{name}' refused: .*{reason}")
    return out


PANIC_LINES = [r"mica: PANIC: ", r"rip [0-9a-f]{16}", r"cr2 [0-9a-f]{16}", r"stack trace",
               r"#0 [0-9a-f]{16}", r"system halted"]


SYSTEM = ["init.elf", "manifest", "names.elf", "supervisor.elf", "mem_server.elf", "console.elf",
          "timer.elf", "shell.elf"]
PROMPT = r"mica> "


def boot_tests(build):
    """The boot tests for the images under the build directory."""
    return [
        BootTest("greeting", modules=["root.elf"], expect=[GREETING], within_seconds=1.0),
        BootTest("syscalls", modules=["basics.elf"], expect=[r"basics: a line through"]),
        BootTest("ipc", modules=["ipc.elf", "ipc_server.elf"],
                 expect=[r"boot module 1 'ipc_server' loaded, suspended",
                         r"TEST PASS suspend_fails_a_blocked_receive",
                         r"halted the machine, status 0 \([1-9]\d* IPCs on the fast path\)"]),
        BootTest("ipc_slow_path_only", modules=["ipc.elf", "ipc_server.elf"],
                 cmdline=["nofastpath"],
                 expect=[r"command line .*nofastpath",
                         r"TEST PASS suspend_fails_a_blocked_receive",
                         r"halted the machine, status 0 \(0 IPCs on the fast path\)"]),
        BootTest("interrupts_and_io_ports", modules=["irq.elf"], qemu_extra=["-serial", "null"],
                 expect=[r"I/O APIC: \d+ interrupt lines for drivers, all masked",
                         r"TEST PASS irq_delivered_to_user_space",
                         r"TEST PASS irq_deleted_handler_delivers_nothing", r"irq: 0 failures"]),
        BootTest("ipc_with_invariant_checks", modules=["ipc.elf", "ipc_server.elf"],
                 cmdline=["checkinvariants"],
                 expect=[r"TEST PASS suspend_fails_a_blocked_receive",
                         r"halted the machine, status 0"]),
        BootTest("caps_with_invariant_checks", modules=["caps.elf"], cmdline=["checkinvariants"],
                 expect=[r"TEST PASS lower_priority_waits"]),
        # A short run of the system-call fuzzer (make fuzz runs 1,000,000 calls, and more
        # with the invariants checked): fixed seeds, so a failure here replays exactly.
        BootTest("fuzz_short", modules=["fuzz.elf", "fuzz_workload.elf"],
                 cmdline=["fuzzseed=1", "fuzzcalls=30000"], timeout=90,
                 expect=[r"boot module 1 'fuzz_workload' loaded, suspended",
                         r"fuzz: done calls=300\d\d .*workload_errors=0 seed=1",
                         r"halted the machine, status 0"]),
        BootTest("fuzz_short_with_invariant_checks", modules=["fuzz.elf", "fuzz_workload.elf"],
                 cmdline=["fuzzseed=2", "fuzzcalls=5000", "checkinvariants"], timeout=120,
                 expect=[r"fuzz: done calls=50\d\d .*workload_errors=0 seed=2",
                         r"halted the machine, status 0"]),
        BootTest("isolation", modules=["isolation.elf", "isolation_peer.elf"],
                 expect=[r"TEST PASS higher_priority_wakes_beside_a_spinner",
                         r"TEST PASS others_allocate_after_exhaustion",
                         r"TEST PASS peer_finished", r"halted the machine, status 0"]),
        BootTest("map_items_with_invariant_checks", cmdline=["checkinvariants"],
                 modules=["mapping.elf", "mapper.elf", "mapper.elf"],
                 expect=[r"TEST PASS client_faults_again_to_its_handler"]),
        BootTest("memory_with_invariant_checks", modules=["memory.elf"],
                 cmdline=["checkinvariants"],
                 expect=[r"TEST PASS revoke_takes_its_frames_and_mappings"]),
        BootTest("isolation_with_invariant_checks",
                 modules=["isolation.elf", "isolation_peer.elf"], cmdline=["checkinvariants"],
                 expect=[r"TEST PASS peer_finished", r"halted the machine, status 0"]),
        BootTest("memory", modules=["memory.elf"],
                 expect=[r"TEST PASS capabilities_outlive_their_address_space",
                         r"TEST PASS revoke_takes_its_frames_and_mappings"]),
        BootTest("map_items", modules=["mapping.elf", "mapper.elf", "mapper.elf"],
                 expect=[r"TEST PASS client_faults_again_to_its_handler",
                         r"TEST PASS moved_thread_fault_abandoned"]),
        BootTest("spawn_in_user_space", modules=["spawn.elf", "ipc_server.elf"],
                 expect=[r"TEST PASS too_small_a_cnode_refused"]),
        # init's line and the shell's prompt go out in either order (init's time slice may
        # end as it starts the shell, its last task).
        BootTest("system_boots_to_the_shell", modules=SYSTEM, within_seconds=1.0,
                 script=[(PROMPT, "halt\n")],
                 expect_any_order=[r"init: 6 tasks started from the manifest"],
                 any_order_before=False, expect=[PROMPT]),
        BootTest("shell_commands", modules=SYSTEM,
                 script=[(PROMPT, "ps\n"), (PROMPT, "names\n"), (PROMPT, "bogus\n"),
                         (PROMPT, "echo hello\n"), (PROMPT, "heap 64\n"), (PROMPT, "halt\n")],
                 expect=[r"ps", r"#  task +state +memory +pages +restarts",
                         r"0  names +running +1024K +\d+ +0", r"2  mem_server +running",
                         r"3  console +running", r"5  shell +running",
                         r"console +registered by init", r"timer +registered by init",
                         r"bogus: unknown command", r"hello",
                         r"heap: 64 KiB from the memory server, zero; 19 pages of 256 charged",
                         r"shell: halting",
                         r"thread 'shell' halted the machine, status 0"]),
        BootTest("shell_survives_names_and_console_restarts", modules=SYSTEM, timeout=20.0,
                 script=[(PROMPT, "crash 0\n"), (r"'names' restarted", "crash 3\n"),
                         (r"'console' restarted", "echo alive\n"),
                         (r"[\n>] ?alive\n", "echo " + "a" * 300 + "\n"),   # the answers,
                         (r"[\n>] ?a{300}\n", "echo second\n"),             # not the echoes
                         (r"[\n>] ?second\n", "halt\n")],
                 expect=[r"supervisor: 'names' restarted", r"supervisor: 'console' restarted",
                         r"^(mica> )?alive$", r"^(mica> )?a{300}$", r"^(mica> )?second$",
                         r"shell: halting"]),
        *[BootTest(f"bad_manifest_{case.replace('-', '_')}", reason="failure",
                   modules=["init.elf", f"manifests/{case}/manifest"] + SYSTEM[2:],
                   expect=[rf"init: manifest line {line}: {what}", r"init: the system cannot start"])
          for case, line, what in [
              ("unknown-option", 2, r"unknown option 'frobnicate'"),
              ("unknown-server", 3, r"no boot module 'nosuch'"),
              ("missing-capability", 2, r"that interrupt line cannot be had"),
              ("bad-memory", 2, r"memory=3M: a power of two")]],
        BootTest("manifest_names_what_runs", modules=["init.elf", "manifests/minimal/manifest"]
                 + SYSTEM[2:], reason="timeout", timeout=4.0,
                 expect=[r"init: 3 tasks started from the manifest"],
                 forbid=[r"PANIC", r"supervisor: ", r"Mica shell"]),
        BootTest("fault_injection_restarts", timeout=60.0,
                 modules=["init.elf", "manifests/chaos/manifest", "names.elf", "supervisor.elf",
                          "console.elf", "timer.elf", "chaos.elf"],
                 expect_any_order=[rf"chaos client {c} line {i}$" for c in range(2)
                                   for i in range(150)],
                 expect=[r"chaos: kills=(\d{3,}) restarts=\1 client_errors_unrecovered=0 "
                         r"lost_output_lines=0", r"TEST PASS chaos_clients_recovered"],
                 forbid=[r"PANIC", r"TEST FAIL", r"backed off"]),
        BootTest("server_protocols",
                 modules=["init.elf", "manifests/protocols/manifest", "names.elf",
                          "supervisor.elf", "console.elf", "timer.elf", "protocols.elf"],
                 expect=[r"protocols: ok", r"TEST PASS timer_unknown_label"]),
        BootTest("console_channel_survives_console_crashes", timeout=60.0,
                 modules=["init.elf", "manifests/console-chan/manifest", "names.elf",
                          "supervisor.elf", "console.elf", "conchan.elf"],
                 expect_any_order=[rf"conchan line {i}$" for i in range(400)]
                 + [r"supervisor: 'console' restarted"],
                 expect=[r"conchan: lines=400 written=400 failed=\d+ reconnects=2 bad=0",
                         r"TEST PASS conchan_every_line_written"]),
        BootTest("console_channel_outlives_its_client", timeout=30.0,
                 modules=["init.elf", "manifests/console-chan-end/manifest", "names.elf",
                          "supervisor.elf", "console.elf", "conend.elf", "concheck.elf"],
                 expect=[r"conend: written", r"TEST PASS conend_wrote_through_its_channel",
                         r"supervisor: 'conend' failed: page fault at 0x8",
                         r"TEST PASS concheck_conend_was_ended",
                         r"TEST PASS concheck_console_never_restarted",
                         r"TEST PASS concheck_every_channel_opens_again", r"concheck: done"],
                 forbid=[r"PANIC", r"TEST FAIL", r"'console' (failed|restarted)"]),
        # The benchmarks' own configurations run to the end (make bench times them): the
        # figures are not checked here, only that every one is printed and nothing failed.
        BootTest("benchmarks_run", qemu_extra=["-serial", "null"],
                 modules=["bench.elf", "bench_server.elf", "mem_server.elf",
                          "bench_chan_server.elf"],
                 expect=[r"BENCH ipc_rt_inter ", r"BENCH pf_cow ", r"BENCH chan_msg_batch32 ",
                         r"BENCH chan_msg_batch32_handler ", r"BENCH notify_wake ",
                         r"BENCH irq_to_user ", r"halted the machine, status 0"],
                 forbid=[r"PANIC", r"TEST FAIL", r"^bench: "]),
        BootTest("system_benchmarks_run",
                 modules=["init.elf", "bench/manifest", "names.elf", "console.elf",
                          "sysbench.elf"],
                 expect=[r"BENCH names_lookup ", r"BENCH console_write_64b ",
                         r"BENCH console_chan_write_64b ", r"halted the machine, status 0"],
                 forbid=[r"PANIC", r"TEST FAIL", r"^sysbench: "]),
        BootTest("memory_server_in_the_system", reason="timeout", timeout=8.0,
                 modules=["init.elf", "manifests/heap/manifest", "names.elf", "supervisor.elf",
                          "mem_server.elf", "heapuser.elf"],
                 expect=[r"init: 4 tasks started", r"TEST PASS heap_pages_come_zero",
                         r"TEST PASS heap_pages_are_charged", r"TEST PASS heap_freed",
                         r"mem: client \d+ thread \d+: write at 0x1000000\w+.*quota used up",
                         r"supervisor: 'heapuser' failed: a fault its pager would not resolve",
                         r"supervisor: 'heapuser' is not to be restarted"]),
        BootTest("restart_loop_backed_off", reason="timeout", timeout=6.0,
                 modules=["init.elf", "manifests/restart-loop/manifest", "names.elf",
                          "supervisor.elf", "crasher.elf"],
                 expect=[r"supervisor: 'crasher' failed: page fault at 0x8",
                         r"supervisor: 'crasher' restarted",
                         r"supervisor: 'crasher' failed 11 times within 1000 ms: backed off"],
                 forbid=[r"PANIC", r"supervisor: 'names'", r"init: the supervisor failed"]),
        BootTest("memory_server", modules=["memsrv.elf", "mem_server.elf", "memclient.elf",
                                           "memclient.elf"],
                 expect=[r"mem: the memory server is up",
                         r"TEST PASS answered_properly_it_runs_on",
                         r"TEST PASS device_page_gone"]),
        BootTest("channels", modules=["chan.elf", "chan_server.elf", "chan_server.elf"],
                 expect=[r"TEST PASS chan_client_reconnects_to_a_new_server"], timeout=60),
        BootTest("capabilities_and_scheduling", modules=["caps.elf"],
                 expect=[r"boot module 0 'caps' started as the root task",
                         r"root task holds \d+ KiB of untyped memory",
                         r"TEST PASS lower_priority_waits"]),
        BootTest("user_faults_stop_only_their_task",
                 modules=["survivor.elf", "spin.elf"] + [f"fault-{f}.elf" for f in FAULTS],
                 expect_any_order=[rf"thread 'fault-{f}' stopped: {rx}"
                                   for f, rx in FAULTS.items()],
                 expect=[r"TEST PASS survivor_runs_after_other_tasks_fault"]),
        BootTest("malformed_elf_refused", modules=["root.elf", "bad/*.elf"],
                 expect=[r"boot module 0 'root' started as the root task"]
                 + bad_elf_expectations(build) + [GREETING]),
        BootTest("malformed_root_task_refused", modules=["bad/bad-overlap.elf", "root.elf"],
                 expect=[r"boot module 0 'bad-overlap' refused: two segments overlap",
                         r"boot module 1 'root' loaded", GREETING]),
        BootTest("kernel_page_fault_panics", cmdline=["selftest=pagefault"], reason="panic",
                 expect=[r"PANIC: page fault \(#PF\) in kernel mode at ffff8fffdead0000 "
                         r"\(write, not present\), vector 14, error code 0x2"] + PANIC_LINES[1:],
                 forbid=[], trace_through=["kmain"]),
        BootTest("kernel_invalid_opcode_panics", cmdline=["selftest=ud"], reason="panic",
                 expect=[r"PANIC: invalid opcode \(#UD\) in kernel mode"] + PANIC_LINES[1:],
                 forbid=[], trace_through=["kmain"]),
        BootTest("kernel_divide_error_panics", cmdline=["selftest=divide"], reason="panic",
                 expect=[r"PANIC: divide error \(#DE\) in kernel mode"] + PANIC_LINES[1:],
                 forbid=[], trace_through=["kmain"]),
        BootTest("kernel_assertion_panics", cmdline=["selftest=assert"], reason="panic",
                 expect=[r"PANIC: assertion failed: zero == 1 \(kernel/selftest\.c"]
                 + PANIC_LINES[3:], forbid=[], trace_through=["selftest_run", "kmain"]),
        BootTest("kernel_invariant_violation_panics", modules=["root.elf"],
                 cmdline=["checkinvariants", "selftest=invariant"], reason="panic",
                 expect=[r"PANIC: invariant violated: slot missing from its parent's child list",
                         r"stack trace", r"system halted"],
                 forbid=[], trace_through=["visit_slot"]),
        BootTest("kernel_stack_overflow_panics", cmdline=["selftest=stack"], reason="panic",
                 expect=[r"PANIC: double fault \(#DF\) in kernel mode"] + PANIC_LINES[1:2],
                 forbid=[]),
        BootTest("grub_iso_multiboot2", cdrom="mica-test.iso",
                 expect=[r"command line 'debugexit'", r"boot module 0 'root' started", GREETING]),
        BootTest("large_memory_5g", modules=["caps.elf"], qemu_extra=["-m", "5G"],
                 expect=[r"KiB free", r"TEST PASS objects_in_high_memory_work"]),
        BootTest("small_memory_32m", modules=["basics.elf"], qemu_extra=["-m", "32M"],
                 expect=[r"KiB free", r"TEST PASS syscall_preserves_registers"]),
    ]
