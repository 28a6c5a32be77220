/**
 * The build stage: configure and build one cell of one variant for real, with the toolchain,
 * in a runtime, and keep every command line and the whole log.
 *
 * Steps, as a kernel developer would type them (tuxmake does the same):
 * 1. `make O=… <base>` with `KCONFIG_ALLCONFIG=<fragment>` for the all*config bases; for
 *    `defconfig`/`<name>_defconfig`, `make <base>`, then `merge_config.sh -m` and
 *    `make olddefconfig` to lay the fragment over it;
 * 2. `make -k -jN <targets>`.
 *
 * @module
 */
import { $, quote } from "zx";
import { closeSync, existsSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Cell } from "../matrix/load_matrix.ts";
import type { VariantTree } from "../patch/variant_tree.ts";
import { cacheDir } from "../tree/cache_dir.ts";
import { classifyLog, parseLog } from "../diagnose/parse_log.ts";
import type { Diagnostic } from "../diagnose/diagnostic.ts";
import type { BuildStep, CellResult } from "../results/model.ts";
import type { Invocation, Runtime } from "../environment/runtime.ts";
import { droppedLines } from "../kconfig/config_file.ts";
import { configPlan, toolchainProgram } from "../plan/config_plan.ts";
import { toolchainIdentity } from "../environment/toolchain_profile.ts";

/** Options for {@linkcode buildCell}. */
export interface BuildCellOptions {
  /** The runtime the commands run in. */
  runtime: Runtime;
  /** Directory for this cell's log, fragment and `.config` copy. */
  outDir: string;
  /** make targets. */
  targets: string[];
  /** `make -j`; defaults to the number of CPUs. */
  jobs?: number;
  /** Use ccache (default: when it is on PATH). */
  ccache?: boolean;
  /** Kill the build after this many seconds (default 3600); a killed build is `infra`. */
  timeoutS?: number;
  /** Called when a step starts. */
  onStep?: (step: string, command: string) => void;
}

/** The directory name of a cell id: `arm/gcc-12/v6+v7/xen-on` → `arm_gcc-12_v6+v7_xen-on`. */
export function cellSlug(id: string): string {
  return id.replaceAll("/", "_");
}

/** Configure and build `cell` on `variant`; failures are results, not exceptions. */
export async function buildCell(
  cell: Cell,
  variant: VariantTree,
  options: BuildCellOptions,
): Promise<CellResult> {
  const slug = cellSlug(cell.id);
  // The O= dir sits beside the variant's src so every relative path ccache sees is the same
  // in every variant: objects of an unchanged file are compiled once for all variants.
  const obj = join(variant.root, "build", slug);
  const out = options.outDir;
  await Deno.remove(obj, { recursive: true }).catch(() => {});
  await Deno.mkdir(obj, { recursive: true });
  await Deno.mkdir(out, { recursive: true });
  const fragment = join(out, "fragment.config");
  await Deno.writeTextFile(fragment, cell.kconfig.map((l) => `${l}\n`).join(""));
  const logPath = join(out, "build.log");
  const configPath = join(out, "config");

  const cache = cacheDir();
  const ccache = options.ccache ??
    (await $({ quiet: true, nothrow: true })`command -v ccache`).exitCode === 0;
  const config = configPlan(cell);
  const makeVars = [
    ...Object.entries(config.makeVars).map(([k, v]) => `${k}=${v}`),
    ...(ccache
      ? [
        `CC=ccache ${toolchainProgram(cell.toolchain, cell.arch, "cc")}`,
        `HOSTCC=ccache ${cell.toolchain.hostcc}`,
      ]
      : []),
  ];
  const env: Record<string, string> = {
    LC_ALL: "C",
    KBUILD_BUILD_TIMESTAMP: "1970-01-01 00:00:00 UTC",
    KBUILD_BUILD_USER: "kmatrix",
    KBUILD_BUILD_HOST: "kmatrix",
    ...(ccache
      ? {
        CCACHE_DIR: join(cache, "ccache"),
        CCACHE_BASEDIR: cache,
        CCACHE_NOHASHDIR: "1",
        // The same compiler package in another runtime (a bwrap rootfs, an image) is the same
        // compiler: hash its content, not its path and mtime, so they share the cache.
        CCACHE_COMPILERCHECK: "content",
      }
      : {}),
  };
  const mounts = [
    { path: variant.src, writable: false },
    { path: obj, writable: true },
    { path: out, writable: false },
    ...(ccache ? [{ path: join(cache, "ccache"), writable: true }] : []),
  ];
  if (ccache) await Deno.mkdir(join(cache, "ccache"), { recursive: true });
  const make = ["make", "-C", variant.src, `O=${obj}`, ...makeVars];
  const jobs = options.jobs ?? navigator.hardwareConcurrency;

  const plan: { name: string; argv: string[]; env?: Record<string, string> }[] = [];
  if (config.method === "allconfig") {
    plan.push({
      name: "config",
      argv: [...make, config.target],
      env: { KCONFIG_ALLCONFIG: fragment },
    });
  } else {
    plan.push({ name: "config", argv: [...make, config.target] });
    if (config.merge) {
      plan.push({
        name: "merge",
        argv: [
          join(variant.src, "scripts/kconfig/merge_config.sh"),
          "-m",
          "-O",
          obj,
          join(obj, ".config"),
          fragment,
        ],
        env: { ...config.makeVars, SRCARCH: cell.arch.srcarch },
      });
      plan.push({ name: "olddefconfig", argv: [...make, "olddefconfig"] });
    }
  }
  plan.push({ name: "build", argv: [...make, "-k", `-j${jobs}`, ...options.targets] });

  const steps: BuildStep[] = [];
  const started = performance.now();
  const fd = openSync(logPath, "w");
  let killed = false;
  try {
    for (const step of plan) {
      const inv: Invocation = { argv: step.argv, cwd: obj, env: { ...env, ...step.env }, mounts };
      const wrapped = options.runtime.wrap(inv);
      const command = [
        ...Object.entries(wrapped.env).map(([k, v]) => `${k}=${quote(v)}`),
        ...wrapped.argv.map((a) => quote(a)),
      ].join(" ");
      options.onStep?.(step.name, command);
      writeSync(fd, `+ ${command}\n`);
      const t0 = performance.now();
      const proc = $({
        cwd: obj,
        env: { ...Deno.env.toObject(), ...wrapped.env },
        stdio: ["ignore", fd, fd],
        nothrow: true,
        timeout: (options.timeoutS ?? 3600) * 1000,
        timeoutSignal: "SIGKILL",
      })`${wrapped.argv}`;
      const r = await proc;
      if (r.signal) {
        killed = true;
        writeSync(fd, `kmatrix: step ${step.name} killed by ${r.signal}\n`);
      }
      steps.push({
        name: step.name,
        command,
        exit_code: r.exitCode,
        duration_s: round((performance.now() - t0) / 1000),
      });
      if (r.exitCode !== 0) break;
    }
  } finally {
    closeSync(fd);
  }
  const duration_s = round((performance.now() - started) / 1000);
  const log = await Deno.readTextFile(logPath);
  const diagnostics: Diagnostic[] = parseLog(log, { buildDir: obj, srcDir: variant.src });
  let dropped: string[] = [];
  if (existsSync(join(obj, ".config"))) {
    await Deno.copyFile(join(obj, ".config"), configPath);
    dropped = droppedLines(cell.kconfig, await Deno.readTextFile(configPath));
  }
  const ok = steps.length === plan.length && steps.every((s) => s.exit_code === 0);
  const status = ok
    ? "pass"
    : killed || classifyLog(log, diagnostics) === "infra"
    ? "infra"
    : "fail";
  return {
    cell: cell.id,
    variant: variant.name,
    arch: cell.arch.name,
    toolchain: cell.toolchain.name,
    toolchain_version: toolchainIdentity({
      arch: cell.arch,
      toolchain: cell.toolchain,
      runtime: options.runtime,
    }).cc,
    runtime: options.runtime.name,
    status,
    duration_s,
    steps,
    commands: steps.map((s) => s.command),
    config: configPath,
    log: logPath,
    dropped,
    diagnostics,
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
