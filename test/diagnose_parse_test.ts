import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { classifyLog, isInfra, parseLog } from "../lib/diagnose/parse_log.ts";
import type { Diagnostic } from "../lib/diagnose/diagnostic.ts";

const dir = fileURLToPath(new URL("./fixtures/logs/", import.meta.url));

function read(name: string): string {
  return Deno.readTextFileSync(`${dir}${name}`);
}

function only(diags: Diagnostic[], kind: Diagnostic["kind"]): Diagnostic[] {
  return diags.filter((d) => d.kind === kind);
}

Deno.test("parseLog() reads the seed link failure as two undefined references", () => {
  const log = read("seed_link.log");
  const diags = parseLog(log, { buildDir: "/var/tmp/diag/b1", srcDir: "/var/tmp/diag/linux" });
  const ld = only(diags, "linker-undefined");
  assert.equal(ld.length, 2);
  const [cmpxchg, xchg] = ld as [Diagnostic, Diagnostic];
  assert.equal(cmpxchg.signature, "ld:undefined:__bad_cmpxchg@drivers/xen/grant-table.o");
  assert.equal(cmpxchg.key, cmpxchg.signature);
  assert.equal(cmpxchg.severity, "error");
  assert.equal(cmpxchg.symbol, "__bad_cmpxchg");
  assert.equal(cmpxchg.object, "drivers/xen/grant-table.o");
  assert.equal(cmpxchg.function, "gnttab_end_foreign_access_ref_v1");
  assert.equal(cmpxchg.section, ".text");
  assert.equal(cmpxchg.offset, "0x4f8");
  // Two references (.text+0x4f8 and +0x518) in one object: one record, counted twice.
  assert.equal(cmpxchg.count, 2);
  assert.equal(
    cmpxchg.text,
    "arm-linux-gnueabi-ld: drivers/xen/grant-table.o: in function `gnttab_end_foreign_access_ref_v1':\n" +
      "grant-table.c:(.text+0x4f8): undefined reference to `__bad_cmpxchg'",
  );
  assert.equal(xchg.signature, "ld:undefined:__bad_xchg@drivers/xen/events/events_base.o");
  assert.equal(xchg.function, "handle_irq_for_port");
  assert.equal(xchg.offset, "0x285c");
  const make = only(diags, "make");
  assert.deepEqual(make.map((d) => [d.signature, d.target, d.status]), [
    ["make:1:vmlinux", "vmlinux", 1],
  ]);
  assert.equal(diags.length, 3);
  assert.equal(classifyLog(log, diags), "fail");
  assert.equal(isInfra(diags), false);
});

Deno.test("parseLog() finds the directories from make's Entering directory lines", () => {
  const log = read("seed_link.log");
  const given = parseLog(log, { buildDir: "/var/tmp/diag/b1", srcDir: "/var/tmp/diag/linux" });
  assert.deepEqual(parseLog(log).map((d) => d.signature), given.map((d) => d.signature));
});

Deno.test("parseLog() reads a multiple definition with both objects", () => {
  const log = read("multiple_definition.log");
  const diags = parseLog(log);
  const ld = only(diags, "linker");
  assert.equal(ld.length, 1);
  const [m] = ld as [Diagnostic];
  assert.deepEqual(
    [m.severity, m.symbol, m.object, m.definedIn, m.function, m.section, m.offset],
    [
      "error",
      "print_banner",
      "kernel/panic.o",
      "init/main.o",
      "print_banner",
      ".text.unlikely",
      "0x428",
    ],
  );
  assert.equal(m.signature, "ld:multiple:print_banner@kernel/panic.o");
  assert.equal(m.key, m.signature);
  assert.equal(
    m.message,
    "multiple definition of 'print_banner'; init/main.o:main.c:(.text.unlikely+0xcc): first defined here",
  );
  assert.deepEqual(m.text.split("\n"), [
    "arm-linux-gnueabi-ld: kernel/panic.o: in function `print_banner':",
    "panic.c:(.text.unlikely+0x428): multiple definition of `print_banner'; init/main.o:main.c:(.text.unlikely+0xcc): first defined here",
  ]);
  // The partial link (vmlinux.o) is where the duplicate shows: make names that target.
  assert.deepEqual(only(diags, "make").map((d) => d.signature), ["make:1:vmlinux.o"]);
  assert.equal(diags.length, 2);
  assert.equal(classifyLog(log, diags), "fail");
});

Deno.test("parseLog() reads a truncated relocation under a header ld printed bare", () => {
  const log = read("relocation_truncated.log");
  const diags = parseLog(log);
  const ld = only(diags, "linker");
  assert.equal(ld.length, 1);
  const [r] = ld as [Diagnostic];
  assert.deepEqual(
    [r.severity, r.symbol, r.object, r.definedIn, r.function, r.section, r.offset, r.tool],
    [
      "error",
      "loops_per_jiffy",
      "kernel/panic.o",
      "init/main.o",
      "panic_note_lpj",
      ".text",
      "0x3b0",
      undefined,
    ],
  );
  assert.equal(r.signature, "ld:relocation:loops_per_jiffy@kernel/panic.o");
  assert.equal(r.key, r.signature);
  assert.equal(
    r.message,
    "relocation truncated to fit: R_ARM_ABS16 against symbol 'loops_per_jiffy' defined in .data " +
      "section in init/main.o",
  );
  // The final link prints `kernel/panic.o: in function` without the `…-ld:` prefix.
  assert.deepEqual(r.text.split("\n"), [
    "kernel/panic.o: in function `panic_note_lpj':",
    "panic.c:(.text+0x3b0): relocation truncated to fit: R_ARM_ABS16 against symbol `loops_per_jiffy' defined in .data section in init/main.o",
  ]);
  assert.deepEqual(only(diags, "make").map((d) => d.signature), ["make:1:vmlinux"]);
  assert.equal(diags.length, 2);
  assert.equal(classifyLog(log, diags), "fail");
});

Deno.test("parseLog() reads compiler errors with their function, option and caret lines", () => {
  const log = read("compile_error.log");
  const diags = parseLog(log);
  const cc = only(diags, "compiler");
  assert.equal(cc.length, 3);
  const [member, implicit, unused] = cc as [Diagnostic, Diagnostic, Diagnostic];
  assert.deepEqual(
    [member.severity, member.file, member.line, member.column, member.function, member.option],
    ["error", "drivers/xen/features.c", 41, 20, "xen_setup_features", undefined],
  );
  assert.equal(
    member.message,
    "'struct xen_feature_info' has no member named 'submap_index'; did you mean 'submap_idx'?",
  );
  assert.equal(implicit.option, "-Werror=implicit-function-declaration");
  assert.equal(
    implicit.signature,
    "cc:error:implicit declaration of function 'HYPERVISOR_xen_versoin'; did you mean " +
      "'HYPERVISOR_xen_version'?@drivers/xen/features.c:42:21",
  );
  assert.equal(
    implicit.key,
    "cc:error:implicit declaration of function 'HYPERVISOR_xen_versoin'; did you mean " +
      "'HYPERVISOR_xen_version'?@drivers/xen/features.c",
  );
  // The record joins the In function line, the error and gcc's caret and fix-it lines.
  assert.deepEqual(implicit.text.split("\n"), [
    "../linux/drivers/xen/features.c: In function 'xen_setup_features':",
    "../linux/drivers/xen/features.c:42:21: error: implicit declaration of function ‘HYPERVISOR_xen_versoin’; did you mean ‘HYPERVISOR_xen_version’? [-Werror=implicit-function-declaration]",
    "   42 |                 if (HYPERVISOR_xen_versoin(XENVER_get_features, &fi) < 0)",
    "      |                     ^~~~~~~~~~~~~~~~~~~~~~",
    "      |                     HYPERVISOR_xen_version",
  ]);
  assert.deepEqual(
    [unused.severity, unused.file, unused.line, unused.function, unused.option, unused.message],
    [
      "warning",
      "drivers/xen/xlate_mmu.c",
      187,
      "xen_xlate_unmap_gfn_range",
      "-Wunused-variable",
      "unused variable 'unused_count'",
    ],
  );
  assert.deepEqual(only(diags, "make").map((d) => d.object), ["drivers/xen/features.o"]);
  assert.equal(classifyLog(log, diags), "fail");
});

Deno.test("parseLog() reads assembler errors from .S files and from gcc's temporary .s", () => {
  const diags = parseLog(read("assembler_error.log"));
  const as = only(diags, "assembler");
  assert.equal(as.length, 2);
  const [sfile, inline] = as as [Diagnostic, Diagnostic];
  assert.deepEqual([sfile.file, sfile.line, sfile.severity], [
    "arch/arm/lib/delay-loop.S",
    30,
    "error",
  ]);
  assert.equal(sfile.message, "invalid constant (12345678) after fixup");
  assert.equal(
    sfile.signature,
    "as:error:invalid constant (12345678) after fixup@arch/arm/lib/delay-loop.S:30",
  );
  // make -k built delay-loop.o twice in parallel: the duplicate lines collapse into one record.
  assert.equal(sfile.count, 2);
  // gcc's /tmp/cc*.s is named after the object make was building, not its random name.
  assert.equal(inline.file, undefined);
  assert.equal(inline.object, "drivers/xen/time.o");
  assert.equal(
    inline.signature,
    "as:error:selected processor does not support 'movw r0,#1' in ARM mode@drivers/xen/time.o",
  );
  assert.equal(inline.count, 2);
  assert.deepEqual(only(diags, "make").map((d) => d.signature), [
    "make:1:arch/arm/lib/delay-loop.o",
    "make:1:drivers/xen/time.o",
  ]);
});

Deno.test("parseLog() reads a modpost undefined symbol", () => {
  const log = read("modpost_error.log");
  const diags = parseLog(log);
  const [m] = only(diags, "modpost");
  assert.ok(m);
  assert.deepEqual([m.severity, m.symbol, m.object], [
    "error",
    "__bad_cmpxchg",
    "lib/crc-ccitt.ko",
  ]);
  assert.equal(m.signature, "modpost:undefined:__bad_cmpxchg@lib/crc-ccitt.ko");
  assert.equal(classifyLog(log, diags), "fail");
});

Deno.test("parseLog() reads a Kconfig unmet dependency with its selectors", () => {
  const log = read("kconfig_unmet.log");
  const diags = parseLog(log);
  assert.equal(diags.length, 1);
  const [k] = diags as [Diagnostic];
  assert.deepEqual(
    [k.kind, k.severity, k.symbol, k.depends, k.selectors],
    ["kconfig", "warning", "DEBUG_MAPLE_TREE", "DEBUG_KERNEL [=n]", ["TEST_MAPLE_TREE"]],
  );
  assert.equal(k.signature, "kconfig:unmet:DEBUG_MAPLE_TREE<-TEST_MAPLE_TREE");
  assert.deepEqual(k.text.split("\n"), [
    "WARNING: unmet direct dependencies detected for DEBUG_MAPLE_TREE",
    "  Depends on [n]: DEBUG_KERNEL [=n]",
    "  Selected by [y]:",
    "  - TEST_MAPLE_TREE [=y] && RUNTIME_TESTING_MENU [=y]",
  ]);
  assert.equal(classifyLog(log, diags), "pass");
});

Deno.test("parseLog() reads a clean W=1 build: compiler and kernel-doc warnings, no error", () => {
  const log = read("warnings_clean.log");
  const diags = parseLog(log);
  assert.equal(classifyLog(log, diags), "pass");
  assert.ok(diags.every((d) => d.severity === "warning"));
  const cc = only(diags, "compiler");
  assert.deepEqual(cc.map((d) => [d.file, d.line, d.option, d.function]), [
    [
      "drivers/xen/xenbus/xenbus_client.c",
      295,
      "-Wsuggest-attribute=format",
      "xenbus_va_dev_error",
    ],
    ["drivers/xen/events/events_2l.c", 264, "-Wmissing-prototypes", undefined],
  ]);
  const doc = only(diags, "kernel-doc");
  assert.equal(doc.length, 8);
  assert.deepEqual([doc[0]!.file, doc[0]!.line], ["drivers/xen/grant-table.c", 1051]);
  // kernel-doc prints the offending comment line under the warning: joined to the record.
  const comment = doc.find((d) => d.line === 350)!;
  assert.equal(
    comment.text.split("\n")[1],
    " * Equivalent to xenbus_dev_fatal(dev, err, fmt, args), but helps",
  );
});

Deno.test("parseLog() marks a killed compiler as infra, never as a build failure", () => {
  const log = read("killed.log");
  const diags = parseLog(log);
  const [infra] = only(diags, "infra");
  assert.ok(infra);
  assert.deepEqual([infra.cause, infra.signature], ["killed", "infra:killed"]);
  assert.equal(isInfra(diags), true);
  assert.equal(classifyLog(log, diags), "infra");
});

Deno.test("parseLog() marks a full disk as infra", () => {
  const log = read("nospace.log");
  const diags = parseLog(log);
  const infra = only(diags, "infra");
  assert.equal(infra.length, 1);
  assert.equal(infra[0]!.signature, "infra:no-space");
  // Every "No space left on device" line of the log is one occurrence of the one record.
  assert.equal(infra[0]!.count, log.split("\n").filter((l) => l.includes("No space left")).length);
  assert.equal(classifyLog(log, diags), "infra");
});

Deno.test("parseLog() marks a missing toolchain as infra, at config and at build time", () => {
  const config = parseLog(read("toolchain_config.log"));
  assert.deepEqual(only(config, "infra").map((d) => [d.cause, d.tool, d.signature]), [
    ["toolchain", "arm-none-eabi-gcc", "infra:toolchain:arm-none-eabi-gcc"],
  ]);
  const build = parseLog(read("toolchain_build.log"));
  const [ld] = only(build, "infra");
  assert.ok(ld);
  assert.deepEqual([ld.cause, ld.tool, ld.count], ["toolchain", "arm-none-eabi-ld", 2]);
  assert.equal(classifyLog("", build), "infra");
});

Deno.test("parseLog() finds nothing in a clean build", () => {
  const log = read("fixed_variant.log");
  assert.deepEqual(parseLog(log), []);
  assert.equal(classifyLog(log), "pass");
});
