/**
 * Diagnostics for the logs kernel CI produces (issue 12): host and lld linkers, compiler
 * temporaries, modpost FATAL and section mismatches, CI timestamps, include chains, make's
 * `***` blocks, clang. Every log is a real build of the Linux 6.1 tree (test/fixtures/logs/README.md).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { classifyLog, parseLog } from "../lib/diagnose/parse_log.ts";
import type { Diagnostic } from "../lib/diagnose/diagnostic.ts";

const dir = fileURLToPath(new URL("./fixtures/logs/", import.meta.url));

function read(name: string): string {
  return Deno.readTextFileSync(`${dir}${name}`);
}

function only(diags: Diagnostic[], kind: Diagnostic["kind"]): Diagnostic[] {
  return diags.filter((d) => d.kind === kind);
}

function signatures(diags: Diagnostic[]): string[] {
  return diags.map((d) => d.signature);
}

Deno.test("parseLog() reads a vmlinux.o section mismatch and modpost's verdict on it", () => {
  const log = read("section_mismatch.log");
  const diags = parseLog(log);
  const [mismatch, verdict, ...rest] = only(diags, "modpost");
  assert.ok(mismatch && verdict);
  assert.deepEqual(rest, []);
  assert.deepEqual(
    [mismatch.severity, mismatch.object, mismatch.function, mismatch.section, mismatch.symbol],
    ["warning", "vmlinux.o", "panic_fixture_probe", ".text.unlikely", "panic_fixture_setup"],
  );
  assert.equal(
    mismatch.signature,
    "modpost:mismatch:.text.unlikely:panic_fixture_probe->.init.text:panic_fixture_setup@vmlinux.o",
  );
  // `Section mismatches detected.` goes on with the option that allows them: one record.
  assert.equal(verdict.severity, "error");
  assert.equal(
    verdict.message,
    "Section mismatches detected. Set CONFIG_SECTION_MISMATCH_WARN_ONLY=y to allow them.",
  );
  assert.equal(verdict.signature, "modpost:error:Section mismatches detected.");
  assert.deepEqual(verdict.text.split("\n"), [
    "ERROR: modpost: Section mismatches detected.",
    "Set CONFIG_SECTION_MISMATCH_WARN_ONLY=y to allow them.",
  ]);
  assert.deepEqual(signatures(only(diags, "make")), ["make:1:vmlinux.symvers"]);
  assert.equal(diags.length, 3);
  assert.equal(classifyLog(log, diags), "fail");
});

Deno.test("parseLog() joins make's *** explanation block into the make error", () => {
  const modules = parseLog(read("modules_disabled.log"));
  assert.equal(modules.length, 1);
  const [m] = modules as [Diagnostic];
  assert.deepEqual([m.kind, m.target, m.status, m.signature], [
    "make",
    "modules",
    1,
    "make:1:modules",
  ]);
  assert.equal(
    m.message,
    "[modules] Error 1: The present kernel configuration has modules disabled. To use the " +
      'module feature, please run "make menuconfig" etc. to enable CONFIG_MODULES.',
  );
  assert.equal(m.text.split("\n").length, 6);
  const defconfig = parseLog(read("no_defconfig.log"));
  assert.equal(defconfig.length, 1);
  const [d] = defconfig as [Diagnostic];
  assert.deepEqual([d.target, d.status, d.signature], [
    "omap5_defconfig",
    1,
    "make:1:omap5_defconfig",
  ]);
  assert.equal(
    d.message,
    `[omap5_defconfig] Error 1: Can't find default configuration "arch/arm/configs/omap5_defconfig"!`,
  );
  assert.equal(classifyLog(read("no_defconfig.log"), defconfig), "fail");
});

Deno.test("parseLog() reads modpost's FATAL report and the old-style mismatch before it", () => {
  const log = read("modpost_fatal.log");
  const diags = parseLog(log);
  const [mismatch, fatal, ...rest] = only(diags, "modpost");
  assert.ok(mismatch && fatal);
  assert.deepEqual(rest, []);
  // `vmlinux.o(__ex_table+0x268): Section mismatch in reference from the (unknown reference)…`
  assert.deepEqual(
    [mismatch.severity, mismatch.object, mismatch.section, mismatch.offset],
    ["warning", "vmlinux.o", "__ex_table", "0x268"],
  );
  assert.equal(mismatch.symbol, undefined);
  assert.equal(mismatch.function, undefined);
  assert.equal(
    mismatch.signature,
    "modpost:mismatch:__ex_table:(unknown)->.altinstr_replacement:(unknown)@vmlinux.o",
  );
  // FATAL goes on for five lines: one record, its first sentence signs it.
  assert.equal(fatal.severity, "error");
  assert.equal(fatal.text.split("\n").length, 5);
  assert.match(fatal.message, /^The relocation at __ex_table\+0x268 references section /);
  assert.match(fatal.message, /by using scripts\/check_extable\.sh vmlinux\.o$/);
  assert.equal(
    fatal.signature,
    'modpost:fatal:The relocation at __ex_table+0x… references section ".altinstr_replacement" ' +
      "which is black-listed.",
  );
  assert.deepEqual(signatures(only(diags, "make")), ["make:1:vmlinux.symvers"]);
  assert.equal(classifyLog(log, diags), "fail");
});

Deno.test("parseLog() keeps the include chain of an error in a header's inline function", () => {
  const log = read("include_chain.log");
  const diags = parseLog(log);
  const [cc, ...more] = only(diags, "compiler");
  assert.ok(cc);
  assert.deepEqual(more, []);
  assert.deepEqual(
    [cc.severity, cc.file, cc.line, cc.column, cc.function, cc.source],
    [
      "error",
      "include/linux/crash_core.h",
      35,
      16,
      "vmcoreinfo_fixture_note_bytes",
      "kernel/panic.c",
    ],
  );
  assert.deepEqual(cc.included, ["include/linux/kexec.h:18", "kernel/panic.c:25"]);
  assert.equal(
    cc.signature,
    "cc:error:'VMCOREINFO_NOTE_NAME_BYTS' undeclared (first use in this function); did you " +
      "mean 'VMCOREINFO_NOTE_NAME_BYTES'?@include/linux/crash_core.h:35:16",
  );
  assert.deepEqual(cc.notes, [
    "include/linux/crash_core.h:35:16: each undeclared identifier is reported only once for " +
    "each function it appears in",
  ]);
  const text = cc.text.split("\n");
  assert.match(text[0]!, /^In file included from \S+\/include\/linux\/kexec\.h:18,$/);
  assert.match(text[1]!, /^ +from \S+\/kernel\/panic\.c:25:$/);
  assert.deepEqual(signatures(only(diags, "make")), ["make:1:kernel/panic.o"]);
  assert.equal(classifyLog(log, diags), "fail");
});

Deno.test("parseLog() strips ts -s timestamps: the same records as the untimestamped build", () => {
  const plain = parseLog(read("include_chain.log"));
  const log = read("include_chain_ts.log");
  // Every line of the log carries the elapsed time.
  assert.ok(log.trimEnd().split("\n").every((l) => /^\d\d:\d\d:\d\d /.test(l)));
  const stamped = parseLog(log);
  assert.deepEqual(signatures(stamped), signatures(plain));
  const strip = (d: Diagnostic) => ({ ...d, text: undefined });
  assert.deepEqual(stamped.map(strip), plain.map(strip));
  // Text lines lose the timestamp too, so they read as the compiler printed them.
  assert.ok(stamped.every((d) => d.text.split("\n").every((l) => !/^\d\d:\d\d:\d\d /.test(l))));
  assert.equal(classifyLog(log, stamped), "fail");
});

Deno.test("parseLog() reads clang's diagnostics and ld.lld's undefined symbol (LLVM=1)", () => {
  const log = read("clang_error.log");
  const diags = parseLog(log);
  const [ld, ...otherLd] = only(diags, "linker-undefined");
  assert.ok(ld);
  assert.deepEqual(otherLd, []);
  assert.deepEqual(
    [ld.severity, ld.tool, ld.symbol, ld.object, ld.function],
    [
      "error",
      "ld.lld",
      "vdso_fixture_missing",
      "arch/arm/vdso/vgettimeofday.o",
      "__vdso_clock_gettime",
    ],
  );
  assert.equal(ld.signature, "ld:undefined:vdso_fixture_missing@arch/arm/vdso/vgettimeofday.o");
  assert.deepEqual(ld.text.split("\n"), [
    "ld.lld: error: undefined symbol: vdso_fixture_missing",
    ">>> referenced by vgettimeofday.c",
    ">>>               arch/arm/vdso/vgettimeofday.o:(__vdso_clock_gettime)",
  ]);
  const [warning, error, ...cc] = only(diags, "compiler");
  assert.ok(warning && error);
  assert.deepEqual(cc, []);
  assert.deepEqual(
    [warning.severity, warning.file, warning.line, warning.column, warning.option, warning.message],
    ["warning", "kernel/panic.c", 133, 7, "-Wunused-variable", "unused variable 'unused_delay'"],
  );
  assert.equal(warning.signature, "cc:warning:unused variable 'unused_delay'@kernel/panic.c:133:7");
  assert.deepEqual(
    [error.severity, error.file, error.line, error.column],
    ["error", "kernel/panic.c", 183, 2],
  );
  assert.equal(
    error.message,
    "use of undeclared identifier 'cpus_stoped'; did you mean 'cpus_stopped'?",
  );
  assert.deepEqual(error.notes, ["kernel/panic.c:168:13: 'cpus_stopped' declared here"]);
  // clang's excerpts have no gutter: source line, caret line, fix-it, and the note's own.
  assert.equal(error.text.split("\n").length, 7);
  assert.equal(error.text.split("\n")[3], "        cpus_stopped");
  assert.equal(warning.text.split("\n").length, 3);
  assert.deepEqual(signatures(only(diags, "make")), [
    "make:1:arch/arm/vdso/vdso.so.raw",
    "make:1:kernel/panic.o",
  ]);
  assert.ok(diags.every((d) => !d.signature.includes("/tmp/")));
  assert.equal(diags.length, 5);
  assert.equal(classifyLog(log, diags), "fail");
});

Deno.test("classifyLog(): a real failure, then a helper's 'clang: not found', is fail", () => {
  const log = read("infra_after_failure.log");
  const diags = parseLog(log);
  const kinds = diags.map((d) => d.kind);
  // Both are there, in log order: the compiler's verdict first, the helper's failure last.
  assert.ok(kinds.indexOf("compiler") >= 0);
  assert.equal(kinds.at(-1), "infra");
  const infra = diags.at(-1)!;
  assert.deepEqual([infra.cause, infra.tool, infra.signature], [
    "toolchain",
    "clang",
    "infra:toolchain:clang",
  ]);
  assert.equal(classifyLog(log, diags), "fail");
  // The helper's step alone could not judge anything: that is infra.
  const helper = log.trimEnd().split("\n").slice(-1).join("\n");
  assert.equal(helper, "/bin/sh: 1: clang: not found");
  assert.equal(classifyLog(helper), "infra");
});

/** Every compiler temporary the log names. */
function temporaries(log: string): string[] {
  return [...new Set(log.match(/\/tmp\/(?:cc\w{6}|fixdep-\w{6})\.o/g) ?? [])];
}

Deno.test("parseLog() reads a host program /usr/bin/ld failed to link, without its temporary", () => {
  const log = read("host_ld.log");
  const diags = parseLog(log);
  const ld = only(diags, "linker-undefined");
  assert.equal(ld.length, 1);
  const [u] = ld as [Diagnostic];
  assert.deepEqual(
    [u.severity, u.symbol, u.object, u.function, u.section, u.offset],
    ["error", "fixdep_trace", "scripts/basic/fixdep", "main", ".text.startup", "0x37"],
  );
  assert.equal(u.signature, "ld:undefined:fixdep_trace@scripts/basic/fixdep");
  // Five references printed, then `more undefined references to 'fixdep_trace' follow`,
  // which goes on the same record instead of making one without its symbol.
  assert.equal(u.count, 5);
  assert.equal(temporaries(log).length, 1);
  // Only the verbatim text names the temporary.
  assert.ok(!JSON.stringify(diags.map((d) => ({ ...d, text: "" }))).includes("/tmp/"));
  assert.match(u.text, /^\/usr\/bin\/ld: \/tmp\/cc\w{6}\.o: in function `main':\n/);
  assert.match(
    u.text,
    /\n\/usr\/bin\/ld: \/tmp\/cc\w{6}\.o:fixdep\.c:\(\.text\.startup\+0x84\): more undefined references to `fixdep_trace' follow$/,
  );
  assert.ok(diags.every((d) => d.symbol === undefined || d.symbol === "fixdep_trace"));
  assert.deepEqual(signatures(only(diags, "make")), ["make:1:scripts/basic/fixdep"]);
  assert.equal(diags.length, 2);
  assert.equal(classifyLog(log, diags), "fail");
});

Deno.test("parseLog() signs one host-link failure alike with debug info, ts and ld.lld", () => {
  const logs = ["host_ld.log", "host_ld_debug.log", "host_ld_ts.log", "host_lld.log"].map(read);
  // Four builds, four temporaries: the object each names is a new random file.
  const tmps = logs.flatMap(temporaries);
  assert.equal(tmps.length, 4);
  assert.equal(new Set(tmps).size, 4);
  const [plain, debug, stamped, lld] = logs.map((l) => parseLog(l)) as [
    Diagnostic[],
    Diagnostic[],
    Diagnostic[],
    Diagnostic[],
  ];
  for (const diags of [debug, stamped, lld]) {
    assert.deepEqual(signatures(diags), signatures(plain));
  }
  // The debug-info form `…/scripts/basic/fixdep.c:350: undefined reference to …`.
  const [d] = only(debug, "linker-undefined") as [Diagnostic];
  assert.deepEqual([d.file, d.line, d.function, d.object, d.count], [
    "scripts/basic/fixdep.c",
    350,
    "main",
    "scripts/basic/fixdep",
    5,
  ]);
  assert.equal(d.section, undefined);
  // ld.lld: one error, three `>>>` references and `referenced 4 more times`.
  const [l] = only(lld, "linker-undefined") as [Diagnostic];
  assert.deepEqual([l.tool, l.function, l.object, l.count], [
    "ld.lld",
    "main",
    "scripts/basic/fixdep",
    3,
  ]);
  assert.equal(l.text.split("\n").at(-1), ">>> referenced 4 more times");
  // ts's `Nov 25 15:20:33 ` prefix: the same fields as the plain build's.
  const [s] = only(stamped, "linker-undefined") as [Diagnostic];
  const [p] = only(plain, "linker-undefined") as [Diagnostic];
  assert.deepEqual(
    [s.function, s.section, s.count, s.text.split("\n")[0]],
    [p.function, p.section, p.count, "/usr/bin/ld: " + s.text.split("\n")[0]!.slice(13)],
  );
});
