/**
 * Markdown, JUnit XML and tuxmake-shaped metadata of a real run's results
 * (test/fixtures/report/). Expectations come from the records themselves and from the
 * matrix file, never from a copy of the output. JUnit XML is checked with a maintained parser
 * (fast-xml-parser's validator, then the structure its parser reads). A prediction miss and a
 * comparison with new errors are made by the real stages (checkPrediction, compareResults) from
 * the real records: the 2012 prediction of the v6+v7 cell checked against the fix build, and
 * 2012 compared against fix as if fix were the baseline.
 */
import { dirname, join, resolve } from "node:path";
import { existsSync } from "node:fs";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { assert, assertEquals } from "./_assert.ts";
import { REPORT_MATRIX, reportFixture, withMissAndRegression } from "./_report_fixture.ts";
import { formatMarkdown } from "../lib/report/markdown.ts";
import { formatJunit } from "../lib/report/junit.ts";
import { tuxmakeMetadata, writeMetadata } from "../lib/report/metadata.ts";
import { gridOf } from "../lib/report/_grid.ts";
import { loadMatrix } from "../lib/matrix/load_matrix.ts";
import type { CellResult, Results } from "../lib/results/model.ts";

const V6V7 = "arm/gcc-12/v6+v7/xen-on";
const rec = (results: Results, variant: string, cell: string) =>
  results.results.find((r) => r.variant === variant && r.cell === cell)!;
const errorsOf = (r: CellResult) => r.diagnostics.filter((d) => d.severity === "error");

Deno.test("markdown report: grid, stored comparisons, misses with both sides, provenance", async () => {
  const { dir, results } = await reportFixture();
  const md = formatMarkdown(results, { relativeTo: dir });
  const grid = gridOf(results);
  const lines = md.split("\n");
  // The grid: a header with the variants (baseline said), one row per cell, a status per square.
  const header = lines.find((l) => l.startsWith("| cell |"))!;
  assertEquals(
    header,
    `| cell | ${
      grid.variants.map((v) => v === results.baseline ? `${v} (baseline)` : v).join(" | ")
    } |`,
  );
  for (const cell of grid.cells) {
    const row = lines.find((l) => l.startsWith(`| \`${cell}\` |`));
    assert.ok(row, `row of ${cell}`);
    const squares = row.split(" | ").slice(1);
    assertEquals(squares.length, grid.variants.length);
    grid.variants.forEach((v, i) => {
      const r = grid.at(cell, v)!;
      assert.match(squares[i]!, new RegExp(` ${r.status}, predicted ${r.prediction!.status} ✓`));
      if (r.shared) assert.match(squares[i]!, new RegExp(`shared with ${r.shared.variant}`));
      else assert.doesNotMatch(squares[i]!, /shared/);
    });
  }
  // The stored comparisons: fix fixes the v6+v7 cell, so its old errors are gone (<<), none new.
  for (const c of results.comparisons) {
    assert.ok(md.includes(`#### ${c.head} against ${c.base}: 0 new errors`), c.head);
  }
  const fixed = errorsOf(rec(results, "2012", V6V7)).find((d) => d.symbol === "__bad_cmpxchg")!;
  assert.ok(md.includes(`<< ${(fixed.text || fixed.message).split("\n")[0]}`), "fixed, marked <<");
  assert.doesNotMatch(md, /^>> /m);
  assert.match(md, /### Prediction misses: 0\n/);
  const p = results.provenance!;
  assert.ok(md.includes(`Linux ${p.tree.version} from \`${p.tree.source}\``));
  assert.ok(md.includes(p.toolchains[0]!.cc) && md.includes(p.runtime.identity));

  // A regression's new errors are marked >>, a miss lists both sides.
  const changed = await withMissAndRegression(results);
  const md2 = formatMarkdown(changed, { relativeTo: dir });
  const news = errorsOf(rec(results, "2012", V6V7));
  assert.ok(md2.includes(`#### 2012 against fix: ${news.length} new errors`));
  for (const d of news) {
    assert.ok(md2.includes(`>> ${(d.text || d.message).split("\n")[0]}`), d.signature);
  }
  assert.match(md2, /### Prediction misses: 1\n/);
  const miss = md2.slice(md2.indexOf("### Prediction misses"), md2.indexOf("### Provenance"));
  assert.ok(miss.includes(`#### fix · \`${V6V7}\``));
  assert.match(miss, /\| status \| fail \| pass \|/);
  const predicted = rec(results, "2012", V6V7).prediction!.signatures;
  assert.ok(predicted.length > 0);
  for (const s of predicted) assert.ok(miss.includes(s), `predicted side: ${s}`);
  assert.match(miss, /\| error signatures \| .* \| none \|/);
  assert.match(miss, /- status: predicted fail, real pass/);
  assert.match(miss, /Reproduce: `sh fix\/arm_gcc-12_v6\+v7_xen-on\/reproduce\.sh`/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("junit report: valid XML, one testcase per record, failures with their diagnostics", async () => {
  const { dir, results } = await reportFixture();
  const xml = formatJunit(results, { relativeTo: dir });
  assertEquals(XMLValidator.validate(xml), true);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    isArray: (name) => ["testsuite", "testcase", "property"].includes(name),
  }).parse(xml);
  const suites = doc.testsuites;
  const failing = results.results.filter((r) => r.status === "fail");
  assertEquals(Number(suites.tests), results.results.length);
  assertEquals(Number(suites.failures), failing.length);
  assertEquals(Number(suites.errors), 0);
  assertEquals(suites.testsuite.map((s: { name: string }) => s.name), gridOf(results).variants);
  let cases = 0;
  for (const suite of suites.testsuite) {
    for (const tc of suite.testcase) {
      cases++;
      assertEquals(tc.classname, suite.name);
      const r = rec(results, tc.classname, tc.name);
      assert.ok(r, `${tc.classname} ${tc.name} is a record`);
      assertEquals(Number(tc.time), r.duration_s);
      if (r.status === "fail") {
        const errors = errorsOf(r);
        assertEquals(tc.failure.message, errors[0]!.signature);
        for (const d of errors) {
          const first = (d.text || d.message).split("\n")[0]!;
          assert.ok(tc.failure["#text"].includes(first), d.signature);
        }
      } else {
        assertEquals(tc.failure, undefined);
        assertEquals(tc.error, undefined);
      }
      const log = tc["system-out"].match(/^log: (.*)$/m)[1];
      assertEquals(resolve(dir, log), r.log);
      assert.ok(existsSync(resolve(dir, tc["system-out"].match(/^config: (.*)$/m)[1])));
    }
  }
  assertEquals(cases, results.results.length);

  // Records that did not finish (a real run stopped early) are <error>s, not <failure>s.
  const stopped = await reportFixture("interrupted-6.1");
  const doc2 = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    isArray: (name) => ["testsuite", "testcase"].includes(name),
  }).parse(formatJunit(stopped.results));
  const n = stopped.results.results.filter((r) => r.status === "interrupted").length;
  assert.ok(n > 0);
  assertEquals(Number(doc2.testsuites.errors), n);
  assertEquals(Number(doc2.testsuites.failures), 0);
  const tcs = doc2.testsuites.testsuite.flatMap((s: { testcase: unknown[] }) => s.testcase);
  assertEquals(tcs.length, stopped.results.results.length);
  for (const tc of tcs) {
    assertEquals(tc.error.type, "interrupted");
    assertEquals(tc.failure, undefined);
  }
  await Deno.remove(stopped.dir, { recursive: true });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("metadata report: tuxmake's shape, next to each log, read from the records and the matrix", async () => {
  const { dir, results } = await reportFixture();
  const matrix = await loadMatrix(REPORT_MATRIX);
  const written = await writeMetadata(results);
  assertEquals(written, results.results.map((r) => join(dirname(r.config), "metadata.json")));
  assertEquals(new Set(written).size, written.length, "one file per record");
  for (const [i, r] of results.results.entries()) {
    const meta = JSON.parse(await Deno.readTextFile(written[i]!));
    assertEquals(
      meta,
      tuxmakeMetadata(r, results, {
        fragment: await Deno.readTextFile(join(dirname(r.config), "fragment.config")),
      }),
    );
    // Groups of items: every top-level value is an object.
    for (const [group, items] of Object.entries(meta)) {
      assert.ok(items && typeof items === "object" && !Array.isArray(items), group);
    }
    assertEquals(meta.results.status, r.status === "pass" ? "PASS" : "FAIL");
    assertEquals(meta.build.targets, ["config", ...matrix.targets]);
    for (const t of matrix.targets) {
      assertEquals(meta.results.targets[t].status, r.status === "pass" ? "PASS" : "FAIL");
    }
    const cell = matrix.cells.find((c) => c.id === r.cell)!;
    assertEquals(meta.build.kconfig, cell.base);
    assertEquals(meta.build.kconfig_add, cell.kconfig);
    assertEquals(meta.build.target_arch, cell.arch.name);
    assertEquals(meta.build.jobs > 0, true);
    assertEquals(meta.results.errors, errorsOf(r).length);
    assertEquals(meta.results.artifacts.config, ["config"]);
    assertEquals(meta.compiler.version_full, r.toolchain_version);
    assert.ok(r.toolchain_version.endsWith(meta.compiler.version), meta.compiler.version);
    assertEquals(
      meta.git.git_commit,
      results.provenance!.variants.find((v) => v.name === r.variant)!.commit,
    );
    if (r.size) assertEquals(meta.vmlinux.text_size, r.size.text);
    if (r.ccache) assertEquals(meta.ccache.cache_hits, r.ccache.hits);
  }
  await Deno.remove(dir, { recursive: true });
});
