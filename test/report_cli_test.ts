/**
 * The `report` command through the CLI, as a user runs it: every format from a real run's
 * results (test/fixtures/report/), to standard output or to --out; a
 * results file of an older version, a bad format or a missing file is one line on stderr and
 * exit 2.
 */
import { join, relative } from "node:path";
import { existsSync } from "node:fs";
import { assert, assertEquals } from "./_assert.ts";
import { runCli } from "./_cli.ts";
import { reportFixture } from "./_report_fixture.ts";

Deno.test("report command: every format from a real results.json", async () => {
  const { dir, results } = await reportFixture();
  const file = join(dir, "results.json");
  const n = results.results.length;

  const table = await runCli(["report", file]);
  assertEquals(table.code, 0, table.err);
  assert.match(table.out, new RegExp(`\\n${n} records \\(`));

  for (
    const [format, name, start] of [
      ["markdown", "summary.md", "## kmatrix: "],
      ["junit", "junit.xml", '<?xml version="1.0" encoding="UTF-8"?>'],
      ["html", "report.html", "<!DOCTYPE html>"],
    ] as const
  ) {
    const out = join(dir, name);
    const run = await runCli(["report", file, "--format", format, "--out", out]);
    assertEquals(run.code, 0, run.err);
    assertEquals(run.out, "");
    const text = await Deno.readTextFile(out);
    assert.ok(text.startsWith(start), `${format}: ${text.slice(0, 80)}`);
    // Paths in a report written to a file are relative to the file: the reproducers are found.
    const first = results.results[0]!;
    if (format === "markdown") assert.ok(text.includes(`| \`${first.cell}\` |`), format);
    else assert.ok(text.includes(`sh ${relative(dir, first.reproducer!)}`), format);
    const stdout = await runCli(["report", file, "-f", format], { cwd: dir });
    assertEquals(stdout.code, 0, stdout.err);
    assertEquals(stdout.out, text.endsWith("\n") ? text : text + "\n", `${format} on stdout`);
  }

  const meta = await runCli(["report", file, "--format", "metadata"]);
  assertEquals(meta.code, 0, meta.err);
  const paths = meta.out.trim().split("\n");
  assertEquals(paths.length, n);
  for (const p of paths) assert.ok(existsSync(p) && p.endsWith("/metadata.json"), p);
  const elsewhere = join(dir, "meta");
  const meta2 = await runCli(["report", file, "--format", "metadata", "--out", elsewhere]);
  assertEquals(meta2.code, 0, meta2.err);
  assert.ok(existsSync(join(elsewhere, "fix", "arm_gcc-12_v6+v7_xen-on", "metadata.json")));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("report command: an older results.json, a bad format, a missing file: one line, exit 2", async () => {
  const { dir } = await reportFixture();
  const file = join(dir, "results.json");
  const old = join(dir, "old.json");
  const doc = JSON.parse(await Deno.readTextFile(file));
  doc.version = 1;
  await Deno.writeTextFile(old, JSON.stringify(doc));
  const cases: [string[], RegExp][] = [
    [
      ["report", old],
      /^Cannot read results '.*old\.json': it is version 1, this kmatrix reads version 2; run the matrix again to get one\n$/,
    ],
    [["report", file, "--format", "pdf"], /^Cannot report in format 'pdf': formats are terminal, /],
    [["report", join(dir, "nothere.json")], /^Cannot read results '.*nothere\.json': /],
    [["report"], /^Cannot report '': give one results file/],
  ];
  for (const [args, err] of cases) {
    const run = await runCli(args);
    assertEquals(run.code, 2, args.join(" "));
    assert.match(run.err, err);
    assertEquals(run.err.trim().split("\n").length, 1, run.err);
    assertEquals(run.out, "");
  }
  await Deno.remove(dir, { recursive: true });
});
