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
