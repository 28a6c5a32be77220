import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CellResult, Results } from "../lib/results/model.ts";
import { classifyLog, parseLog } from "../lib/diagnose/parse_log.ts";
import { compareResults, formatComparison } from "../lib/compare/compare_results.ts";
import { compareCommand } from "../lib/compare/cli.ts";
import { runCli } from "./_cli.ts";

const dir = fileURLToPath(new URL("./fixtures/logs/", import.meta.url));

/** A record as the build stage writes it, from a real fixture log. */
function record(cell: string, variant: string, logName: string): CellResult {
  const log = Deno.readTextFileSync(join(dir, logName));
  const diagnostics = parseLog(log);
  return {
    cell,
    variant,
    arch: "arm",
    toolchain: "gcc-12",
    toolchain_version: "arm-linux-gnueabi-gcc (Debian 12.2.0-14) 12.2.0",
    runtime: "host",
    status: classifyLog(log, diagnostics),
    duration_s: 0,
    steps: [],
    commands: [],
    config: "",
    log: join(dir, logName),
    dropped: [],
    diagnostics,
  };
}

/** One results.json with two variants, `2012` (before the fix) and `fix`. */
function results(): Results {
  return {
    version: 2,
    comparisons: [],
    matrix: "matrix.yaml",
    started: "2026-11-25T01:00:00Z",
    results: [
      record("xen-v6v7", "2012", "seed_link.log"),
      record("xen-v6v7", "fix", "fixed_variant.log"),
      record("xen-drivers", "2012", "warnings_clean.log"),
      record("xen-drivers", "fix", "compile_error.log"),
      record("oom", "2012", "killed.log"),
      record("oom", "fix", "fixed_variant.log"),
      record("asm", "2012", "assembler_error.log"),
      record("asm", "fix", "assembler_error.log"),
      record("kconfig", "2012", "kconfig_unmet.log"),
      record("kconfig", "fix", "kconfig_unmet.log"),
    ],
  };
}

Deno.test("compareResults() compares two variants of one results.json cell by cell", () => {
  const r = results();
  const c = compareResults(r, r, { baseVariant: "2012", headVariant: "fix" });
  assert.deepEqual(c.cells.map((x) => [x.cell, x.verdict]), [
    ["xen-v6v7", "fixed"],
    ["xen-drivers", "regressed"],
    ["oom", "infra"],
    ["asm", "still-failing"],
    ["kconfig", "still-passing"],
  ]);
  assert.deepEqual(c.counts, {
    "fixed": 1,
    "regressed": 1,
    "still-failing": 1,
    "still-passing": 1,
    "infra": 1,
    "unmatched": 0,
  });
  const fixed = c.cells[0]!;
  assert.deepEqual(fixed.diagnostics.map((d) => [d.change, d.diagnostic.signature]), [
    ["gone", "ld:undefined:__bad_cmpxchg@drivers/xen/grant-table.o"],
    ["gone", "ld:undefined:__bad_xchg@drivers/xen/events/events_base.o"],
    ["gone", "make:1:vmlinux"],
  ]);
  const regressed = c.cells[1]!;
  assert.deepEqual(
    regressed.diagnostics.filter((d) => d.change === "new").map((d) => d.diagnostic.kind),
    ["compiler", "compiler", "make", "compiler"],
  );
  assert.ok(c.cells[3]!.diagnostics.every((d) => d.change === "kept"));
});

Deno.test("compareResults() matches by cell and variant when no variant is chosen", () => {
  const r = results();
  const c = compareResults(r, r);
  assert.equal(c.cells.length, 10);
  assert.equal(c.counts.fixed + c.counts.regressed, 0);
});

Deno.test("compareResults() never calls an infra cell fixed or regressed", () => {
  const r = results();
  const c = compareResults(r, r, { baseVariant: "fix", headVariant: "2012" });
  assert.equal(c.cells.find((x) => x.cell === "oom")!.verdict, "infra");
  assert.equal(c.cells.find((x) => x.cell === "xen-v6v7")!.verdict, "regressed");
});

Deno.test("formatComparison() marks new diagnostics with >> and keeps old ones", () => {
  const r = results();
  const text = formatComparison(compareResults(r, r, { baseVariant: "2012", headVariant: "fix" }));
  const lines = text.split("\n");
  assert.ok(lines.includes("xen-v6v7 [2012 -> fix]: fixed (fail -> pass)"));
  assert.ok(
    lines.includes("<< grant-table.c:(.text+0x4f8): undefined reference to `__bad_cmpxchg'"),
  );
  assert.ok(lines.includes("xen-drivers [2012 -> fix]: regressed (pass -> fail)"));
  assert.ok(lines.some((l) => l.startsWith(">> ../linux/drivers/xen/features.c:42:21: error:")));
  assert.ok(lines.includes("asm [2012 -> fix]: still failing (fail -> fail)"));
  assert.ok(
    lines.includes(
      "   ../linux/arch/arm/lib/delay-loop.S:30: Error: invalid constant (12345678) after fixup",
    ),
  );
  assert.ok(!lines.some((l) => l.startsWith("kconfig ")), "unchanged passing cells are hidden");
  assert.equal(
    lines.at(-1),
    "5 cells: 1 fixed, 1 regressed, 1 still failing, 1 still passing, 1 infra",
  );
});

Deno.test("compareResults() keeps an error that a patch moved down, through its key", () => {
  // Both logs build kernel/panic.o with the same typo; head also inserts a function above it
  // (8 lines), whose unused variable is the one genuinely new diagnostic.
  const base: Results = {
    version: 2,
    comparisons: [],
    matrix: "matrix.yaml",
    started: "2026-11-25T02:00:00Z",
    results: [record("panic", "base", "moved_base.log")],
  };
  const head: Results = { ...base, results: [record("panic", "head", "moved_head.log")] };
  const c = compareResults(base, head, { baseVariant: "base", headVariant: "head" });
  const [cell] = c.cells;
  assert.ok(cell);
  assert.equal(cell.verdict, "still-failing");
  const [baseError] = base.results[0]!.diagnostics.filter((d) => d.kind === "compiler");
  const moved = cell.diagnostics.find((d) =>
    d.diagnostic.kind === "compiler" && d.diagnostic.severity === "error"
  );
  assert.ok(baseError && moved);
  // Not the same signature (line 181 became 189): matched through the location-free key.
  assert.deepEqual([baseError.line, moved.diagnostic.line], [181, 189]);
  assert.notEqual(moved.diagnostic.signature, baseError.signature);
  assert.equal(moved.diagnostic.key, baseError.key);
  assert.deepEqual(cell.diagnostics.map((d) => [d.change, d.diagnostic.signature]), [
    ["new", "cc:warning:unused variable 'delay'@kernel/panic.c:139:14"],
    ["kept", moved.diagnostic.signature],
    ["kept", "make:1:kernel/panic.o"],
  ]);
  const lines = formatComparison(c).split("\n");
  assert.ok(lines.includes("panic [base -> head]: still failing (fail -> fail)"));
  assert.ok(
    lines.includes(
      ">> ../linux-fix/kernel/panic.c:139:14: warning: unused variable ‘delay’ [-Wunused-variable]",
    ),
  );
  assert.ok(
    lines.some((l) => l.startsWith("   ../linux-fix/kernel/panic.c:189:9: error: ‘cpus_stoped’")),
  );
  assert.ok(!lines.some((l) => l.startsWith("<< ")), "nothing is gone");
});

function run(args: string[]) {
  return runCli(["compare", ...args]);
}

Deno.test("compare command: variants of one file, two files, and bad input", async () => {
  assert.equal(typeof compareCommand, "function");
  const tmp = await Deno.makeTempDir();
  try {
    const file = join(tmp, "results.json");
    await Deno.writeTextFile(file, JSON.stringify(results()));
    const v = await run([file, "--base-variant", "2012", "--head-variant", "fix"]);
    assert.equal(v.code, 1, v.err); // a cell regressed
    assert.match(v.out, /xen-v6v7 \[2012 -> fix\]: fixed/);
    const j = await run([file, file, "--json"]);
    assert.equal(j.code, 0, j.err);
    assert.equal(JSON.parse(j.out).cells.length, 10);
    const missing = await run([join(tmp, "nope.json"), file]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /^Cannot read results '.*nope\.json': /);
    await Deno.writeTextFile(join(tmp, "bad.json"), "{");
    const bad = await run([join(tmp, "bad.json"), file]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^Cannot read results '.*bad\.json': /);
    // An older results.json is said to be one, with what to do.
    await Deno.writeTextFile(join(tmp, "old.json"), '{"version":1,"results":[]}');
    const old = await run([join(tmp, "old.json"), file]);
    assert.equal(old.code, 2);
    assert.match(
      old.err,
      /^Cannot read results '.*old\.json': it is version 1, this kmatrix reads version 2; /,
    );
    assert.equal(bad.err.trim().split("\n").length, 1);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
