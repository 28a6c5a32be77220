/**
 * The report stage, for CI test views (Jenkins, GitLab, GitHub test reporters): JUnit XML with
 * one `<testsuite>` per variant and one `<testcase>` per record (`classname` the variant,
 * `name` the cell). A failed build is a `<failure>`, a build that could not be judged
 * (`infra`) or did not finish (`interrupted`) an `<error>`, each with the record's error
 * diagnostics; `<system-out>` says where the log, the `.config` and the reproducer are.
 * Element and attribute order follow the common JUnit XSD (Jenkins' `junit-10.xsd`).
 *
 * @module
 */
import { type CellResult, type Results, sharedWith } from "../results/model.ts";
import { diagnosticText, errorsOf, gridOf, plain, reproducerCommand, shownPath } from "./_grid.ts";

/** Options for {@linkcode formatJunit}. */
export interface FormatJunitOptions {
  /** Show artifact paths relative to this directory (default: as they are). */
  relativeTo?: string;
}

/** `text` escaped for an XML attribute or text node (characters XML cannot carry dropped). */
export function xmlEscape(text: string): string {
  return plain(text).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&apos;");
}

function attrs(values: Record<string, string | number | undefined>): string {
  return Object.entries(values).filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`).join("");
}

function seconds(s: number): string {
  return s.toFixed(3);
}

function testcase(r: CellResult, relativeTo?: string): string[] {
  const lines = [
    `    <testcase${attrs({ classname: r.variant, name: r.cell, time: seconds(r.duration_s) })}>`,
  ];
  const errors = errorsOf(r);
  const body = errors.map(diagnosticText).join("\n\n");
  if (r.status === "fail") {
    const failed = r.steps.find((s) => s.status === "fail");
    const message = errors[0]?.signature ?? `step ${failed?.name ?? "?"} failed`;
    lines.push(
      `      <failure${attrs({ message, type: failed?.name ?? "build" })}>${
        xmlEscape(body || `exit code ${failed?.exit_code ?? "?"}`)
      }</failure>`,
    );
  } else if (r.status === "infra" || r.status === "interrupted") {
    const message = r.status === "interrupted"
      ? "interrupted before the end"
      : errors[0]?.signature ?? "could not be judged (infra)";
    lines.push(
      `      <error${attrs({ message, type: r.status })}>${xmlEscape(body || message)}</error>`,
    );
  }
  const out = [
    `log: ${shownPath(r.log, relativeTo)}`,
    `config: ${shownPath(r.config, relativeTo)}`,
    ...(r.reproducer ? [`reproduce: ${reproducerCommand(r, relativeTo)}`] : []),
    ...(r.shared ? [`shared with ${sharedWith(r.shared)}: ${r.shared.reason}`] : []),
    ...(r.cached ? [`from the result cache: the run of ${r.cached.started}`] : []),
    ...(r.prediction
      ? [
        `predicted ${r.prediction.status}: ${r.prediction.verdict}`,
        ...r.prediction.differences.map((d) => `  ${d}`),
      ]
      : []),
    ...r.steps.map((s) => `step ${s.name}: ${s.status} (${s.duration_s} s): ${s.command}`),
  ];
  lines.push(`      <system-out>${xmlEscape(out.join("\n"))}</system-out>`);
  lines.push("    </testcase>");
  return lines;
}

/**
 * Render results as JUnit XML.
 *
 * @example Usage
 * ```ts ignore
 * await Deno.writeTextFile("junit.xml", formatJunit(await readResults("out/results.json")));
 * ```
 */
export function formatJunit(results: Results, options: FormatJunitOptions = {}): string {
  const grid = gridOf(results);
  const count = (rs: CellResult[]) => ({
    tests: rs.length,
    failures: rs.filter((r) => r.status === "fail").length,
    errors: rs.filter((r) => r.status === "infra" || r.status === "interrupted").length,
    skipped: 0,
    time: seconds(rs.reduce((a, r) => a + r.duration_s, 0)),
  });
  const p = results.provenance;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: `kmatrix ${results.matrix}`, ...count(results.results) })}>`,
  ];
  for (const variant of grid.variants) {
    const records = results.results.filter((r) => r.variant === variant);
    lines.push(
      `  <testsuite${
        attrs({
          name: variant,
          ...count(records),
          timestamp: results.started.replace(/Z$/, "").replace(/\.\d+$/, ""),
          hostname: p?.host.hostname,
        })
      }>`,
    );
    const v = p?.variants.find((x) => x.name === variant);
    const properties: [string, string][] = [
      ...(p
        ? [
          ["tree", `Linux ${p.tree.version} (${p.tree.source}) ${p.tree.commit}`],
          ["runtime", `${p.runtime.name} ${p.runtime.identity}`],
          ["kmatrix", p.kmatrix.version],
        ] as [string, string][]
        : []),
      ...(v ? [["variant.commit", v.commit] as [string, string]] : []),
      ...(v?.patches ?? []).map((x) => ["patch", x.file] as [string, string]),
      ...(results.baseline ? [["baseline", results.baseline] as [string, string]] : []),
    ];
    if (properties.length) {
      lines.push("    <properties>");
      for (const [name, value] of properties) {
        lines.push(`      <property${attrs({ name, value })}/>`);
      }
      lines.push("    </properties>");
    }
    for (const r of records) lines.push(...testcase(r, options.relativeTo));
    lines.push("  </testsuite>");
  }
  lines.push("</testsuites>", "");
  return lines.join("\n");
}
