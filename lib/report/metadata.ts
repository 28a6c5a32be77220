/**
 * The report stage, for tools that read tuxmake output: a `metadata.json` per record in
 * tuxmake's documented shape, so dashboards and scripts written for tuxmake builds read ours.
 *
 * The shape is tuxmake's, as its documentation describes it (https://tuxmake.org/metadata/,
 * `docs/metadata.md` in the tuxmake repository): one JSON object exactly two levels deep, groups
 * (`build`, `results`, `compiler`, `ccache`, `git`, `source`, `vmlinux`, `hardware`, `os`,
 * `uname`, `tools`, `runtime`, `artifacts`) of key/value items; `build` and `results` always
 * present, other groups omitted when they do not apply. `results.status` is `PASS` or `FAIL`;
 * `results.targets` maps each target to its status (`PASS`/`FAIL`/`SKIP`) and duration;
 * `results.duration` holds the phase durations tuxmake's `Build.run` measures
 * (`prepare`, `build`). What tuxmake has no item for goes into one extra group, `kmatrix`
 * (cell, variant, the real status `infra`/`interrupted` that `FAIL` stands for, prediction).
 *
 * @module
 */
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { type CellResult, type Results, sharedWith } from "../results/model.ts";
import { cellSlug } from "../execute/build_cell.ts";
import { diagnosticText, errorsOf } from "./_grid.ts";

/** A tuxmake-shaped `metadata.json`: groups of items, two levels deep. */
export type TuxmakeMetadata = Record<string, Record<string, unknown>>;

/** The words of a shell command line as `zx`'s `quote` writes them (`$'…'`, `'…'`, `"…"`). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === " ") i++;
    if (i >= line.length) break;
    let word = "";
    while (i < line.length && line[i] !== " ") {
      const c = line[i]!;
      if (c === "$" && line[i + 1] === "'") {
        i += 2;
        while (i < line.length && line[i] !== "'") {
          if (line[i] === "\\" && i + 1 < line.length) {
            const e = line[i + 1]!;
            word += e === "n" ? "\n" : e === "t" ? "\t" : e;
            i += 2;
          } else word += line[i++];
        }
        i++;
      } else if (c === "'") {
        const end = line.indexOf("'", i + 1);
        word += line.slice(i + 1, end < 0 ? undefined : end);
        i = end < 0 ? line.length : end + 1;
      } else if (c === '"') {
        i++;
        while (i < line.length && line[i] !== '"') {
          if (line[i] === "\\" && i + 1 < line.length) i++;
          word += line[i++];
        }
        i++;
      } else if (c === "\\" && i + 1 < line.length) {
        word += line[i + 1];
        i += 2;
      } else word += line[i++];
    }
    words.push(word);
  }
  return words;
}

/** What a record's build step said to make: targets and `-j`, read from its command line. */
export function buildArguments(r: CellResult): { targets: string[]; jobs?: number } {
  const build = r.steps.find((s) => s.name === "build");
  if (!build) return { targets: [] };
  const words = shellWords(build.command);
  // The build step is `make … -k -jN <targets>` (lib/execute/build_cell.ts): the targets are
  // the words after -jN.
  const j = words.findIndex((w, i) => /^-j\d+$/.test(w) && words[i - 1] === "-k");
  if (j < 0) return { targets: [] };
  return { targets: words.slice(j + 1), jobs: Number(words[j]!.slice(2)) };
}

const TUX: Record<string, string> = { pass: "PASS", fail: "FAIL", skip: "SKIP", infra: "FAIL" };

/** The base config target of a record (`allnoconfig`, `multi_v7_defconfig`), from its config step. */
function kconfigOf(r: CellResult): string | undefined {
  const config = r.steps.find((s) => s.name === "config");
  return config ? shellWords(config.command).at(-1) : undefined;
}

/** `Debian GNU/Linux 12 (bookworm)` → name and version. */
function osOf(pretty: string): { name: string; version?: string } {
  const m = pretty.match(/^(.*?)\s+(\d[\w.]*)/);
  return m ? { name: m[1]!, version: m[2]! } : { name: pretty };
}

/** `arm-linux-gnueabi-gcc (Debian 12.2.0-14) 12.2.0` → `gcc`, `12.2.0`. */
function compilerOf(r: CellResult): Record<string, string> {
  const version = r.toolchain_version.match(/(\d+\.\d+(?:\.\d+)?)\s*$/)?.[1] ??
    r.toolchain_version.match(/\d+\.\d+(?:\.\d+)?/)?.[0];
  const name = /clang/.test(r.toolchain_version)
    ? "clang"
    : /gcc/.test(r.toolchain_version)
    ? "gcc"
    : r.toolchain;
  return { name, ...(version ? { version } : {}), version_full: r.toolchain_version };
}

/**
 * The tuxmake-shaped metadata of one record. `fragment` is the text of the record's
 * `fragment.config` when known (its lines are `build.kconfig_add`).
 */
export function tuxmakeMetadata(
  r: CellResult,
  results: Results,
  options: { fragment?: string } = {},
): TuxmakeMetadata {
  const p = results.provenance;
  const { targets, jobs } = buildArguments(r);
  const sum = (names: string[]) =>
    Math.round(
      r.steps.filter((s) => names.includes(s.name)).reduce((a, s) => a + s.duration_s, 0) * 10,
    ) / 10;
  const configSteps = r.steps.filter((s) => ["config", "merge", "olddefconfig"].includes(s.name));
  const configStatus = configSteps.some((s) => s.status === "fail" || s.status === "infra")
    ? "FAIL"
    : configSteps.every((s) => s.status === "skip") && configSteps.length
    ? "SKIP"
    : "PASS";
  const build = r.steps.find((s) => s.name === "build");
  const resultTargets: Record<string, { status: string; duration: number }> = {
    config: { status: configStatus, duration: sum(["config", "merge", "olddefconfig"]) },
  };
  for (const t of targets) {
    resultTargets[t] = { status: TUX[build?.status ?? "skip"]!, duration: build?.duration_s ?? 0 };
  }
  const errors = errorsOf(r);
  const warnings = r.diagnostics.filter((d) => d.severity === "warning");
  const dir = recordDir(r);
  const artifacts: Record<string, string[]> = {};
  const add = (target: string, path: string | undefined) => {
    if (path && dirname(path) === dir && existsSync(path)) {
      (artifacts[target] ??= []).push(basename(path));
    }
  };
  add("config", r.config);
  add("log", r.log);
  add("reproducer", r.reproducer);
  const kconfigAdd = (options.fragment ?? "").split("\n").filter((l) => l.trim() !== "");
  const toolchain = p?.toolchains.find((t) => t.name === r.toolchain && t.arch === r.arch);
  const variant = p?.variants.find((v) => v.name === r.variant);
  const meta: TuxmakeMetadata = {
    build: {
      targets: ["config", ...targets],
      target_arch: r.arch,
      toolchain: r.toolchain,
      ...(r.ccache ? { wrapper: "ccache" } : {}),
      ...(kconfigOf(r) ? { kconfig: kconfigOf(r) } : {}),
      kconfig_add: kconfigAdd,
      ...(jobs ? { jobs } : {}),
      ...(r.reproducer ? { reproducer_cmdline: ["sh", r.reproducer] } : {}),
      runtime: r.runtime,
      verbose: false,
    },
    results: {
      status: r.status === "pass" ? "PASS" : "FAIL",
      targets: resultTargets,
      artifacts,
      errors: errors.length,
      error_list: errors.map(diagnosticText),
      warnings: warnings.length,
      warning_list: warnings.map(diagnosticText),
      duration: {
        prepare: sum(["config", "merge", "olddefconfig"]),
        build: sum(["build", "size"]),
      },
    },
    compiler: compilerOf(r),
  };
  if (r.ccache) meta.ccache = { cache_hits: r.ccache.hits, cache_misses: r.ccache.misses };
  if (variant) meta.git = { git_commit: variant.commit };
  if (p) {
    meta.source = { kernelversion: p.tree.version };
    meta.hardware = { cores: p.host.cpus };
    meta.os = osOf(p.host.os);
    meta.uname = { kernel: "Linux", kernel_release: p.host.kernel };
    meta.runtime = {
      name: p.runtime.name,
      identity: p.runtime.identity,
      environment: p.runtime.environment,
    };
  }
  if (toolchain) meta.tools = { cc: toolchain.cc, ld: toolchain.ld };
  if (r.size) {
    meta.vmlinux = { text_size: r.size.text, data_size: r.size.data, bss_size: r.size.bss };
  }
  meta.kmatrix = {
    cell: r.cell,
    variant: r.variant,
    status: r.status,
    ...(p ? { tree_source: p.tree.source, tree_commit: p.tree.commit } : {}),
    ...(r.prediction ? { predicted: r.prediction.status, verdict: r.prediction.verdict } : {}),
    ...(r.shared ? { shared_with: sharedWith(r.shared) } : {}),
    ...(r.cached ? { cached_from: r.cached.started } : {}),
  };
  return meta;
}

/**
 * The directory of a record's own artifacts: its `.config`'s (a shared record's log is the
 * record it shares, in that record's directory).
 */
export function recordDir(r: CellResult): string {
  return dirname(r.config);
}

/** Options for {@linkcode writeMetadata}. */
export interface WriteMetadataOptions {
  /** Write into `<outDir>/<variant>/<cell slug>/` instead of next to each record's log. */
  outDir?: string;
}

/**
 * Write each record's `metadata.json` next to its log and `.config` (or under `outDir`); returns
 * the paths written, in record order.
 */
export async function writeMetadata(
  results: Results,
  options: WriteMetadataOptions = {},
): Promise<string[]> {
  const written: string[] = [];
  for (const r of results.results) {
    const fragment = await Deno.readTextFile(join(recordDir(r), "fragment.config"))
      .catch(() => undefined);
    const meta = tuxmakeMetadata(r, results, fragment === undefined ? {} : { fragment });
    const dir = options.outDir ? join(options.outDir, r.variant, cellSlug(r.cell)) : recordDir(r);
    await Deno.mkdir(dir, { recursive: true });
    const path = join(dir, "metadata.json");
    await Deno.writeTextFile(path, JSON.stringify(meta, null, 4) + "\n");
    written.push(path);
  }
  return written;
}
