/**
 * Parsing cost against the build that produced the log: the seed log's build took the wall
 * time recorded in test/fixtures/logs/README.md; parsing it must cost well under 1 % of that.
 *
 * Run: `deno bench -A bench/diagnose_bench.ts` (prints the ratio, then Deno.bench's table).
 */
import { fileURLToPath } from "node:url";
import { parseLog } from "../lib/diagnose/parse_log.ts";

const dir = fileURLToPath(new URL("../test/fixtures/logs/", import.meta.url));
const seed = Deno.readTextFileSync(`${dir}seed_link.log`);
const modpost = Deno.readTextFileSync(`${dir}modpost_error.log`);
const readme = Deno.readTextFileSync(`${dir}README.md`);
const wall = /seed_link\.log build wall time: ([\d.]+) s/.exec(readme);
if (!wall) throw new Error(`Cannot read build wall time '${dir}README.md': no seed_link.log line`);
const buildS = Number(wall[1]);

// Side-by-side ratio, measured over enough runs to be stable.
const runs = 200;
const t0 = performance.now();
for (let i = 0; i < runs; i++) parseLog(seed);
const parseS = (performance.now() - t0) / runs / 1000;
console.log(
  `seed_link.log: parse ${(parseS * 1000).toFixed(3)} ms, build ${buildS} s, ` +
    `ratio ${(parseS / buildS * 100).toExponential(2)} % (budget 1 %)`,
);

Deno.bench("parseLog(seed_link.log)", { baseline: true }, () => {
  parseLog(seed);
});

Deno.bench("parseLog(modpost_error.log)", () => {
  parseLog(modpost);
});
