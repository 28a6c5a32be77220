/**
 * The `report` command: re-render any `results.json` as a terminal table, Markdown, JUnit XML,
 * an HTML page, or a tuxmake-shaped `metadata.json` per record.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, resolve } from "node:path";
import { InputError } from "../errors.ts";
import { readResults } from "../results/results_file.ts";

const FORMATS = ["terminal", "markdown", "junit", "html", "metadata"] as const;
type Format = typeof FORMATS[number];

const USAGE = `Usage: kmatrix report RESULTS.json [--format terminal|markdown|junit|html|metadata]
                      [--out FILE|DIR]

Render a results.json again, in any format (default: terminal):
  terminal   the table 'matrix' prints
  markdown   for $GITHUB_STEP_SUMMARY: cells x variants grid, new errors marked >>,
             prediction misses with both sides, provenance
  junit      JUnit XML, one testcase per record (classname the variant, name the cell)
  html       one self-contained page: colour grid, each square opening to its record
  metadata   a tuxmake-shaped metadata.json per record, next to its log (or under --out DIR)

--out writes the report to FILE (paths in it relative to FILE's directory) instead of standard
output; for metadata it is the directory to write into. Exit 0 done, 2 bad input (a results
file of another version says so).`;

/** Run the `report` command with `args`; returns the exit code. */
export async function reportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: "string", short: "f", default: "terminal" },
      out: { type: "string", short: "o" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new InputError(
      `Cannot report '${
        positionals.join(" ")
      }': give one results file (kmatrix report RESULTS.json)`,
    );
  }
  const format = values.format as Format;
  if (!FORMATS.includes(format)) {
    throw new InputError(
      `Cannot report in format '${values.format}': formats are ${FORMATS.join(", ")}`,
    );
  }
  const results = await readResults(positionals[0]!);
  const out = values.out === undefined ? undefined : resolve(values.out);
  if (format === "metadata") {
    const { writeMetadata } = await import("./metadata.ts");
    const written = await writeMetadata(results, out ? { outDir: out } : {});
    for (const path of written) console.log(path);
    return 0;
  }
  const relativeTo = out ? dirname(out) : Deno.cwd();
  let text: string;
  switch (format) {
    case "terminal": {
      const { formatSummary } = await import("./summary.ts");
      text = formatSummary(results, out ? { color: false } : {}) + "\n";
      break;
    }
    case "markdown": {
      const { formatMarkdown } = await import("./markdown.ts");
      text = formatMarkdown(results, { relativeTo });
      break;
    }
    case "junit": {
      const { formatJunit } = await import("./junit.ts");
      text = formatJunit(results, { relativeTo });
      break;
    }
    case "html": {
      const { formatHtml } = await import("./html.ts");
      text = formatHtml(results, { relativeTo });
      break;
    }
  }
  if (out) {
    try {
      await Deno.writeTextFile(out, text);
    } catch (e) {
      throw new InputError(`Cannot write report '${values.out}': ${(e as Error).message}`);
    }
  } else {
    await Deno.stdout.write(new TextEncoder().encode(text.endsWith("\n") ? text : text + "\n"));
  }
  return 0;
}
