/**
 * `plan --format tuxsuite`: the default matrix's TuxSuite plan is valid against TuxSuite's
 * documented plan format (test/fixtures/tuxsuite/plan.schema.json, written from its public
 * docs; see the README there), as the YAML file TuxSuite reads; targets TuxSuite cannot build
 * are refused.
 */
import { join } from "node:path";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTreeRecord } from "./_tree.ts";
import { runCli } from "./_cli.ts";
import { loadMatrix } from "../lib/matrix/load_matrix.ts";
import { tuxsuitePlan } from "../lib/distribute/tuxsuite_plan.ts";
import { InputError } from "../lib/errors.ts";

const ROOT = join(import.meta.dirname!, "..");
const SCHEMA = JSON.parse(
  await Deno.readTextFile(join(ROOT, "test/fixtures/tuxsuite/plan.schema.json")),
);

function validator() {
  const validate = new Ajv({ allErrors: true }).compile(SCHEMA);
  return (data: unknown) => {
    const ok = validate(data) as boolean;
    return ok ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}

Deno.test("tuxsuite: the default matrix's plan (the file `plan` writes) is valid against TuxSuite's schema", async () => {
  await kernelTreeRecord();
  const out = await Deno.makeTempFile({ suffix: ".tux.yml" });
  const run = await runCli(["plan", "--format", "tuxsuite", "--out", out]);
  assertEquals(run.code, 0, run.err);
  const text = await Deno.readTextFile(out);
  const plan = parse(text);
  assertEquals(validator()(plan), []);
  // The same builds as the matrix: one job per variant, one build per cell, the fragment after
  // the base.
  const matrix = await loadMatrix(join(ROOT, "matrix.yaml"));
  assertEquals(plan.jobs.map((j: { name: string }) => j.name), matrix.variants.map((v) => v.name));
  for (const job of plan.jobs) {
    assertEquals(
      job.builds.map((b: { kconfig: string[] }) => b.kconfig),
      matrix.cells.map((c) => [c.base, ...c.kconfig]),
    );
    for (const b of job.builds) {
      assertEquals([b.target_arch, b.toolchain, b.targets, b.kernel_image], [
        "arm",
        "gcc-12",
        ["kernel"],
        "vmlinux",
      ]);
    }
  }
  // The header says how to submit each variant: the tree's tag and the variant's patches.
  const tree = await kernelTreeRecord();
  assert.match(text, new RegExp(`--git-ref v${tree.version.replaceAll(".", "\\.")} `));
  assert.match(
    text,
    /cat cross\/patches\/xen-2012-state\.patch cross\/patches\/xen-fix-not-cpu-v6\.patch > fix\.mbox/,
  );
  await Deno.remove(out);
});

Deno.test("tuxsuite: the schema refuses what TuxSuite would (it can fail)", async () => {
  const matrix = await loadMatrix(join(ROOT, "matrix.yaml"));
  const { plan } = await tuxsuitePlan(matrix, await kernelTreeRecord());
  const check = validator();
  const build = plan.jobs[0]!.builds[0]!;
  const bad = (b: Record<string, unknown>) => ({ ...plan, jobs: [{ name: "x", builds: [b] }] });
  assert.ok(check(bad({ ...build, targets: ["vmlinux"] })).length > 0, "a make target");
  assert.ok(check(bad({ ...build, toolchain: "arm-linux-gnueabi-gcc" })).length > 0);
  assert.ok(check(bad({ ...build, kconfig: [] })).length > 0, "an empty kconfig list");
  assert.ok(check(bad({ ...build, make_variables: { CROSS_COMPILE: "x" } })).length > 0);
  assert.ok(check(bad({ ...build, kconfg: "defconfig" })).length > 0, "a misspelt field");
});

Deno.test("tuxsuite: a make target TuxSuite cannot build is refused with an InputError (exit 2)", async () => {
  const matrix = await loadMatrix(join(ROOT, "matrix.yaml"));
  matrix.targets = ["drivers/xen/grant-table.o"];
  await assert.rejects(
    () => tuxsuitePlan(matrix, { source: "x", dir: "/nonexistent", commit: "0", version: "6.1.0" }),
    (e) =>
      e instanceof InputError &&
      /^Cannot write a TuxSuite plan for target 'drivers\/xen\/grant-table\.o': TuxSuite builds TuxMake targets only; .*vmlinux/
        .test(e.message),
  );
});
