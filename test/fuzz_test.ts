/**
 * Fuzzing: the Kconfig parser, the build-log parser, the patch/mbox parser and the matrix
 * loader on thousands of mutated real inputs (byte flips, inserted tokens, deleted and
 * duplicated lines, truncation) give a result or a typed error, never a crash, and never hang:
 * each case is bounded in time, and each parser runs in a worker the test kills when a case
 * does not finish (the input it hung on is then the failure message).
 *
 * Seeds: the pristine tree's own Kconfig files, every log of test/fixtures/logs, the scenario
 * patches of cross/patches with the founding mbox, and matrix.yaml. `FUZZ_SEED` replays a run;
 * `FUZZ_SCALE` multiplies the number of cases.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTree } from "./_tree.ts";
import type { FuzzJob, FuzzMessage } from "./_fuzz_worker.ts";

const REPO = join(import.meta.dirname!, "..");
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? Date.now() % 1_000_000);
/** `FUZZ_SCALE=10` runs ten times the cases (and allows ten times the time), to hunt. */
const SCALE = Number(Deno.env.get("FUZZ_SCALE") ?? 1);

/** Run a job in a worker; fail with the last input when it does not finish in `limitMs`. */
async function fuzz(
  job: Omit<FuzzJob, "seed" | "caseMs" | "scratch" | "repo">,
  limitMs: number,
): Promise<Extract<FuzzMessage, { kind: "done" }>> {
  const scratch = await Deno.makeTempDir({ prefix: "kmatrix-fuzz-" });
  const worker = new Worker(new URL("./_fuzz_worker.ts", import.meta.url), { type: "module" });
  let last: Extract<FuzzMessage, { kind: "case" }> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const verdict = await new Promise<FuzzMessage>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<FuzzMessage>) => {
        if (e.data.kind === "case") last = e.data;
        else resolve(e.data);
      };
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`worker crashed: ${e.message}`));
      };
      timer = setTimeout(() => {
        reject(
          new Error(
            `${job.target}: case ${last?.index} did not finish in time (seed ${SEED}); input:\n${
              JSON.stringify(last?.input)
            }`,
          ),
        );
      }, limitMs * SCALE);
      worker.postMessage({
        ...job,
        runs: job.runs * SCALE,
        seed: SEED,
        caseMs: 2_000,
        scratch,
        repo: REPO,
      });
    });
    if (verdict.kind === "fail") {
      throw new Error(`${job.target} (seed ${SEED}): ${verdict.message}`);
    }
    assert(verdict.kind === "done");
    return verdict;
  } finally {
    clearTimeout(timer);
    worker.terminate();
    await Deno.remove(scratch, { recursive: true });
  }
}

async function readAll(dir: string, ext: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(ext)) out.push(await Deno.readTextFile(join(dir, e.name)));
  }
  return out;
}

function said(target: string, d: Extract<FuzzMessage, { kind: "done" }>): void {
  console.error(
    `fuzz ${target}: ${d.runs} cases, ${d.results} results, ${d.errors} typed errors, slowest ${d.slowestMs} ms (seed ${SEED})`,
  );
}

Deno.test("fuzz: the Kconfig parser and engine on mutated Kconfig files of the tree", async () => {
  const tree = await kernelTree();
  const seeds = await Promise.all(
    ["init/Kconfig", "drivers/xen/Kconfig", "arch/arm/mm/Kconfig", "kernel/Kconfig.preempt"].map(
      // `source` lines name files the scratch tree does not have; without them a case goes
      // past the first one into the rest of the file.
      async (f) =>
        (await Deno.readTextFile(join(tree, f))).split("\n")
          .filter((l) => !/^\s*o?r?source\s/.test(l)).join("\n"),
    ),
  );
  const d = await fuzz({ target: "kconfig", seeds, runs: 1000 }, 30_000);
  said("kconfig", d);
  assert(d.results > 0 && d.errors > 0, "both results and typed errors were met");
});

Deno.test("fuzz: the log parser on mutated build logs", async () => {
  const seeds = await readAll(join(REPO, "test", "fixtures", "logs"), ".log");
  assert(seeds.length >= 10);
  const d = await fuzz({ target: "log", seeds, runs: 2000 }, 30_000);
  said("log", d);
  assertEquals(d.results, d.runs, "a log always parses");
});

Deno.test("fuzz: the patch/mbox parser on mutated patches and mails", async () => {
  const seeds = [
    ...await readAll(join(REPO, "cross", "patches"), ".patch"),
    ...await readAll(join(REPO, "test", "fixtures", "intake"), ".mbox"),
  ];
  const d = await fuzz({ target: "patch", seeds, runs: 2000 }, 30_000);
  said("patch", d);
  assert(d.results > 0 && d.errors > 0, "both results and typed errors were met");
});

Deno.test("fuzz: the matrix loader on mutated matrix files", async () => {
  const seeds = [await Deno.readTextFile(join(REPO, "matrix.yaml"))];
  const d = await fuzz({ target: "matrix", seeds, runs: 1000 }, 30_000);
  said("matrix", d);
  assert(d.results > 0 && d.errors > 0, "both results and typed errors were met");
});
