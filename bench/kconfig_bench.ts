/**
 * Kconfig engine speed.
 *
 * `deno bench -A bench/kconfig_bench.ts` measures the engine alone (parse, one defconfig, all
 * arm defconfigs). `deno run -A bench/kconfig_bench.ts` prints the engine side by side with the
 * real tool: all arm defconfigs in one process vs the `make X_defconfig` loop, and one cold
 * `config` process vs one `make X_defconfig`. Targets: at most 1/20 of the make loop, and a cold
 * `config` under 0.5 s.
 */
import { join } from "node:path";
import { kernelTree } from "../test/_tree.ts";
import { cacheDir } from "../lib/tree/cache_dir.ts";
import { loadKconfig } from "../lib/kconfig/kconfig.ts";

const ARCH = "arm";
const CROSS = "arm-linux-gnueabi-";

function defconfigs(tree: string): string[] {
  return [...Deno.readDirSync(join(tree, "arch/arm/configs"))].map((e) => e.name)
    .filter((n) => n.endsWith("_defconfig")).sort();
}

if (import.meta.main) {
  await sideBySide();
} else {
  const tree = await kernelTree();
  const names = defconfigs(tree);
  const kc = await loadKconfig(tree, { arch: ARCH, crossCompile: CROSS });
  Deno.bench("parse the arm Kconfig tree", { group: "parse", n: 10, warmup: 2 }, async () => {
    await loadKconfig(tree, { arch: ARCH, crossCompile: CROSS });
  });
  Deno.bench("multi_v7_defconfig + write", { group: "one" }, () => {
    kc.defconfig("multi_v7_defconfig").write();
  });
  Deno.bench(
    `all ${names.length} arm defconfigs + write`,
    { group: "all", n: 3, warmup: 1 },
    () => {
      for (const n of names) kc.defconfig(n).write();
    },
  );
}

async function run(cmd: string, args: string[], cwd?: string): Promise<number> {
  const t = performance.now();
  const r = await new Deno.Command(cmd, { args, cwd, stdout: "null", stderr: "piped" }).output();
  if (!r.success) {
    throw new Error(`Cannot run '${cmd} ${args.join(" ")}': ${new TextDecoder().decode(r.stderr)}`);
  }
  return (performance.now() - t) / 1000;
}

async function sideBySide(): Promise<void> {
  const tree = await kernelTree();
  const names = defconfigs(tree);
  const out = join(cacheDir(), "kconfig-bench-O");
  Deno.mkdirSync(out, { recursive: true });
  const make = (target: string) =>
    run("make", ["-s", "-C", tree, `ARCH=${ARCH}`, `CROSS_COMPILE=${CROSS}`, `O=${out}`, target]);
  await make("allnoconfig"); // builds conf once, outside the timings

  // Engine: one process, parse once, every defconfig computed and written.
  let t = performance.now();
  const kc = await loadKconfig(tree, { arch: ARCH, crossCompile: CROSS });
  const parse = (performance.now() - t) / 1000;
  t = performance.now();
  for (const n of names) kc.defconfig(n).write();
  const engineAll = parse + (performance.now() - t) / 1000;

  let makeAll = 0;
  for (const n of names) makeAll += await make(n);

  // One cold `config` process vs one make.
  const cli = new URL("../lib/kconfig/cli.ts", import.meta.url).href;
  const tmp = Deno.makeTempDirSync({ prefix: "kconfig-bench-" });
  const code = `import { configCommand } from "${cli}"; Deno.exit(await configCommand(Deno.args));`;
  const cliArgs = [
    "eval",
    code,
    "--tree",
    tree,
    "--arch",
    ARCH,
    "--cross-compile",
    CROSS,
    "--defconfig",
    "multi_v7_defconfig",
    "--output",
    join(tmp, ".config"),
  ];
  await run(Deno.execPath(), cliArgs); // warm the module cache, as an installed CLI would be
  const colds: number[] = [];
  for (let i = 0; i < 5; i++) colds.push(await run(Deno.execPath(), cliArgs));
  const makes: number[] = [];
  for (let i = 0; i < 5; i++) makes.push(await make("multi_v7_defconfig"));
  Deno.removeSync(tmp, { recursive: true });
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const cold = median(colds), oneMake = median(makes);

  const f = (x: number) => `${x.toFixed(2)} s`.padStart(10);
  console.log(`                                      engine        make   ratio`);
  console.log(
    `${names.length} arm defconfigs (one process)  ${f(engineAll)}  ${f(makeAll)}   1/${
      (makeAll / engineAll).toFixed(0)
    }   (target <= 1/20)`,
  );
  console.log(
    `one cold config vs one make (median5) ${f(cold)}  ${f(oneMake)}   1/${
      (oneMake / cold).toFixed(1)
    }   (target cold < 0.5 s)`,
  );
  console.log(`  (engine parse of the tree: ${parse.toFixed(2)} s)`);
}
