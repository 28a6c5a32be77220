/**
 * The founding case, predicted and confronted with reality:
 * - `2012`, v6+v7: `fail` with exactly the error signatures of the real seed log
 *   (test/fixtures/logs/seed_link.log, a real build of that cell: see its README), make's own
 *   `Error N` records excluded from the causes (they are the consequence of the link error,
 *   predicted separately as `consequences`);
 * - `2012`, v7: `pass`; `fix`, v6+v7: `pass` with `CONFIG_XEN=y` dropped because of CPU_V6,
 *   selected by ARCH_OMAP2; `review`, v6+v7: `fail` like `2012`;
 * - checkPrediction confirms the 2012 v6+v7 prediction against a result made of the real
 *   seed log and the real `.config` of `make allnoconfig`, and reports a wrong prediction as
 *   missed, naming what differed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadMatrix } from "../lib/matrix/load_matrix.ts";
import { prepareVariant } from "../lib/patch/variant_tree.ts";
import { predictCell } from "../lib/predict/predict_cell.ts";
import { checkPrediction } from "../lib/predict/check_prediction.ts";
import { parseLog } from "../lib/diagnose/parse_log.ts";
import type { CellResult } from "../lib/results/model.ts";
import { kernelTreeRecord } from "./_tree.ts";

const matrix = await loadMatrix(new URL("../matrix.yaml", import.meta.url).pathname);
const cell = (id: string) => matrix.cells.find((c) => c.id === id)!;
const V6V7 = cell("arm/gcc-12/v6+v7/xen-on");
const V7 = cell("arm/gcc-12/v7/xen-on");
const variant = async (name: string) =>
  await prepareVariant(await kernelTreeRecord(), matrix.variants.find((v) => v.name === name)!);
const seedLog = await Deno.readTextFile(
  new URL("./fixtures/logs/seed_link.log", import.meta.url),
);
const seedErrors = parseLog(seedLog).filter((d) => d.severity === "error");

Deno.test("2012 v6+v7 predicts fail with exactly the seed log's error signatures", async () => {
  const p = await predictCell(V6V7, (await variant("2012")).src);
  assert.equal(p.status, "fail");
  const causes = seedErrors.filter((d) => d.kind !== "make").map((d) => d.signature).sort();
  assert.ok(causes.length >= 2);
  assert.deepEqual(p.signatures, causes);
  assert.deepEqual(
    p.consequences,
    seedErrors.filter((d) => d.kind === "make").map((d) => d.signature),
  );
  assert.deepEqual(p.dropped, []);
  const fired = p.rules.filter((r) => r.hits.length > 0).map((r) => r.rule);
  assert.deepEqual(fired, ["armv6-16bit-cmpxchg"]);
  assert.ok(
    p.reasons.some((r) => r.includes("CPU_V6=y (selected by ARCH_OMAP2)")),
    p.reasons.join("\n"),
  );
  assert.ok(p.reasons.some((r) => r.includes("drivers/xen/grant-table.c:")), p.reasons.join("\n"));
});

Deno.test("2012 v7 predicts pass: the rule does not apply without CPU_V6", async () => {
  const p = await predictCell(V7, (await variant("2012")).src);
  assert.equal(p.status, "pass");
  assert.deepEqual(p.signatures, []);
  assert.ok(p.objects.builtin > 300);
  const rule = p.rules.find((r) => r.rule === "armv6-16bit-cmpxchg")!;
  assert.equal(rule.applies, false);
  assert.ok(rule.condition.includes("CPU_V6=n"));
});

Deno.test("fix v6+v7 predicts pass with XEN dropped because of CPU_V6 from ARCH_OMAP2", async () => {
  const p = await predictCell(V6V7, (await variant("fix")).src);
  assert.equal(p.status, "pass");
  assert.deepEqual(p.dropped.map((d) => d.line), ["CONFIG_XEN=y"]);
  assert.match(p.dropped[0]!.why, /CPU_V6/);
  assert.match(p.dropped[0]!.why, /ARCH_OMAP2/);
  assert.ok(p.reasons.some((r) => /CONFIG_XEN=y dropped: .*CPU_V6.*ARCH_OMAP2/.test(r)));
  assert.doesNotMatch(p.config, /^CONFIG_XEN=y$/m);
});

Deno.test("review v6+v7 predicts the same failure as 2012: CPU_V7 does not exclude CPU_V6", async () => {
  const p = await predictCell(V6V7, (await variant("review")).src);
  assert.equal(p.status, "fail");
  assert.deepEqual(
    p.signatures,
    seedErrors.filter((d) => d.kind !== "make").map((d) => d.signature).sort(),
  );
  assert.deepEqual(p.dropped, []);
});

Deno.test("checkPrediction confirms the seed prediction and reports a wrong one as missed", async () => {
  const tree = await variant("2012");
  const tmp = await Deno.makeTempDir({ prefix: "kmatrix-predict-seed-" });
  try {
    const fragment = join(tmp, "fragment");
    await Deno.writeTextFile(fragment, V6V7.kconfig.map((l) => `${l}\n`).join(""));
    const r = await new Deno.Command("make", {
      args: [
        "-s",
        "-C",
        tree.src,
        `O=${tmp}/o`,
        "ARCH=arm",
        `CROSS_COMPILE=${V6V7.crossCompile}`,
        "allnoconfig",
      ],
      env: { KCONFIG_ALLCONFIG: fragment },
      stdout: "null",
    }).output();
    assert.equal(r.code, 0);
    const real: CellResult = {
      cell: V6V7.id,
      variant: "2012",
      arch: "arm",
      toolchain: "gcc-12",
      toolchain_version: "arm-linux-gnueabi-gcc (Debian 12.2.0-14) 12.2.0",
      runtime: "host",
      status: "fail",
      duration_s: 0,
      steps: [],
      commands: [],
      config: join(tmp, "o", ".config"),
      log: "test/fixtures/logs/seed_link.log",
      dropped: [],
      diagnostics: parseLog(seedLog),
    };
    const good = await checkPrediction(await predictCell(V6V7, tree.src), real);
    assert.deepEqual(good, {
      cell: V6V7.id,
      variant: "2012",
      verdict: "confirmed",
      differences: [],
      notes: [],
    });

    // The fix variant's prediction (pass, XEN dropped) against the 2012 reality.
    const wrong = await checkPrediction(
      await predictCell(V6V7, (await variant("fix")).src),
      real,
    );
    assert.equal(wrong.verdict, "missed");
    assert.ok(wrong.differences.includes("status: predicted pass, real fail"));
    assert.ok(wrong.differences.includes(
      "in the log, not predicted: ld:undefined:__bad_cmpxchg@drivers/xen/grant-table.o",
    ));
    assert.ok(
      wrong.differences.some((d) =>
        d.startsWith(".config differs") && /\bXEN: predicted (n|absent), real y/.test(d)
      ),
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
