/**
 * Parsing cost against the build that produced the log: every fixture whose build wall time
 * test/fixtures/logs/README.md records (`<name>.log build wall time: N s`) is parsed, and the
 * parse time is printed beside that build's time. Parsing must cost well under 1 % of it.
 *
 * Run: `deno bench -A bench/diagnose_bench.ts` (prints the ratios, then Deno.bench's table).
 */
import { fileURLToPath } from "node:url";
import { parseLog } from "../lib/diagnose/parse_log.ts";

const dir = fileURLToPath(new URL("../test/fixtures/logs/", import.meta.url));
const readme = Deno.readTextFileSync(`${dir}README.md`);
const walls = [...readme.matchAll(/^(\S+\.log) build wall time: ([\d.]+) s$/gm)].map((m) => ({
  name: m[1]!,
  buildS: Number(m[2]),
  log: Deno.readTextFileSync(`${dir}${m[1]}`),
}));
if (!walls.some((w) => w.name === "seed_link.log")) {
  throw new Error(`Cannot read build wall time '${dir}README.md': no seed_link.log line`);
}

// Side-by-side ratios, each measured over enough runs to be stable.
const rows = walls.map(({ name, buildS, log }) => {
  const runs = Math.max(20, Math.min(2000, Math.round(2_000_000 / log.length)));
  parseLog(log);
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) parseLog(log);
  const parseS = (performance.now() - t0) / runs / 1000;
  return { name, lines: log.split("\n").length, parseS, buildS, ratio: parseS / buildS * 100 };
});
const width = Math.max(...rows.map((r) => r.name.length));
console.log(
  `${"log".padEnd(width)}  lines   parse ms   build s   parse/build (budget 1 %)`,
);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(width)} ${String(r.lines).padStart(6)} ${
      (r.parseS * 1000).toFixed(3).padStart(10)
    } ${r.buildS.toFixed(1).padStart(9)}   ${r.ratio.toExponential(2)} %${
      r.ratio < 1 ? "" : "  OVER BUDGET"
    }`,
  );
}
const worst = rows.reduce((a, b) => (b.ratio > a.ratio ? b : a));
console.log(`worst: ${worst.name} ${worst.ratio.toExponential(2)} % of its build`);

for (const { name, log } of walls) {
  Deno.bench(`parseLog(${name})`, { baseline: name === "seed_link.log" }, () => {
    parseLog(log);
  });
}
