/**
 * The `impact` command: which configurations does a patch change?
 *
 * ```
 * kmatrix impact test/fixtures/intake/seed-page.txt
 * kmatrix impact cross/patches/xen-fix-not-cpu-v6.patch --configs matrix.yaml --emit-matrix out/impact.yaml
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, resolve } from "node:path";
import { analyzeImpact, type Impact, impactMatrix } from "./patch_impact.ts";

const USAGE = `Usage: kmatrix impact PATCH [--configs GLOB|MATRIX] [--emit-matrix FILE]
                      [--tree debian:linux-source-6.1|DIR] [--arch arm] [--toolchain gcc-12]
                      [--on VARIANT|PATCH]... [--kconfig CONFIG_X=V]... [--all] [--json]

PATCH is a git format-patch file, an mbox (replies' tags are read too), a saved mailing-list
page or a bare diff. Each hunk is checked against the tree (applies, already applied, conflict
with the reason); the hunks that apply are the patch analysed.

Candidates are every arch/<arch>/configs/*_defconfig (or those matching GLOB, comma-separated),
plus the cells of MATRIX when a matrix file is given. Each is resolved before and after the
patch with the Kconfig engine, and the objects the patch touches are looked up in the Kbuild
model: a candidate is affected when a symbol changes value, a requested line stops sticking, or
it compiles a touched object.

  --on X          what the tree has before the patch: a matrix variant or a patch file
                  (repeatable; default: the matrix's baseline variant, else nothing)
  --kconfig LINE  fragment line added to every defconfig candidate (repeatable)
  --emit-matrix F write a matrix of the affected configurations, base and patched variants
  --all           list unaffected configurations too
  --json          print the result as JSON`;

/** Run the `impact` command with `args`; returns the exit code (0 done, 2 bad input). */
export async function impactCommand(args: string[]): Promise<number> {
  // Bad flags throw; mod.ts says them as bad input (exit 2) like every command's.
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      configs: { type: "string" },
      "emit-matrix": { type: "string" },
      tree: { type: "string" },
      arch: { type: "string" },
      toolchain: { type: "string" },
      on: { type: "string", multiple: true },
      kconfig: { type: "string", multiple: true },
      all: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(
      `Cannot analyse impact of '${positionals.join(" ")}': give exactly one PATCH file`,
    );
    return 2;
  }
  const bad = (values.kconfig ?? []).find((l) =>
    !/^(CONFIG_[A-Za-z0-9_]+=.*|# CONFIG_[A-Za-z0-9_]+ is not set)$/.test(l)
  );
  if (bad !== undefined) {
    console.error(
      `Cannot use --kconfig '${bad}': must be CONFIG_<NAME>=<value> or '# CONFIG_<NAME> is not set'`,
    );
    return 2;
  }
  const impact = await analyzeImpact(positionals[0]!, {
    ...(values.configs ? { configs: values.configs } : {}),
    ...(values.tree ? { tree: values.tree } : {}),
    ...(values.arch ? { arch: values.arch } : {}),
    ...(values.toolchain ? { toolchain: values.toolchain } : {}),
    ...(values.on ? { on: values.on } : {}),
    ...(values.kconfig ? { kconfig: values.kconfig } : {}),
    onProgress: (line) => console.error(line),
  });
  let emitted = "";
  const out = values["emit-matrix"];
  if (out) {
    // A patch extracted from a page or an mbox (or cut to its applying hunks) lives in the
    // cache: the matrix gets its own copy beside it.
    const extracted = impact.patchFile !== resolve(positionals[0]!);
    const patchFile = extracted ? out.replace(/\.ya?ml$/, "") + ".patch" : undefined;
    const text = impactMatrix(impact, { file: out, ...(patchFile ? { patchFile } : {}) });
    if (text) {
      await Deno.mkdir(dirname(out), { recursive: true });
      if (patchFile) await Deno.copyFile(impact.patchFile, patchFile);
      await Deno.writeTextFile(out, text);
      emitted = `wrote ${out}: ${
        impact.configs.filter((c) => c.affected).length
      } configuration(s) x 2 variants`;
    } else emitted = `nothing affected: ${out} not written`;
  }
  if (values.json) {
    console.log(JSON.stringify(toJson(impact), null, 2));
    if (emitted) console.error(emitted);
    return 0;
  }
  console.log(formatImpact(impact, { all: values.all }));
  if (emitted) console.log(emitted);
  return 0;
}

function toJson(impact: Impact) {
  const { patch, touched, ...rest } = impact;
  return {
    patch: { ...patch, files: patch.files.map((f) => f.newPath) },
    touched: { ...touched, via: Object.fromEntries(touched.via) },
    ...rest,
  };
}

/** The human report: the patch, its hunks, the affected configurations with reasons. */
export function formatImpact(impact: Impact, options: { all?: boolean } = {}): string {
  const p = impact.patch;
  const lines: string[] = [];
  lines.push(`patch: ${p.subject || impact.patchFile}`);
  if (p.author) {
    lines.push(`  from ${p.author}${p.email ? ` <${p.email}>` : ""}${p.date ? `, ${p.date}` : ""}`);
  }
  for (const t of p.tags.filter((t) => t.name !== "Cc")) {
    lines.push(`  ${t.name}: ${t.value}${t.from === "commit message" ? "" : ` (${t.from})`}`);
  }
  lines.push("hunks:");
  for (const h of impact.hunks) {
    lines.push(`  ${h.status.padEnd(15)} ${h.file} #${h.index}: ${h.reason}`);
  }
  const affected = impact.configs.filter((c) => c.affected);
  const width = Math.max(0, ...impact.configs.map((c) => c.id.length));
  lines.push(`affected: ${affected.length} of ${impact.configs.length} configurations`);
  for (const c of affected) lines.push(`  ${c.id.padEnd(width)}  ${c.reasons.join("; ")}`);
  if (options.all) {
    lines.push("unaffected:");
    for (const c of impact.configs.filter((c) => !c.affected)) {
      lines.push(`  ${c.id.padEnd(width)}  ${c.reasons.join("; ")}`);
    }
  }
  lines.push(
    `classified in ${impact.timing.classify_s.toFixed(2)} s (trees ready in ${
      impact.timing.prepare_s.toFixed(2)
    } s)`,
  );
  return lines.join("\n");
}
