/**
 * Read a YAML file into a {@linkcode SourceDoc}, validate it with a zod schema, and turn every
 * problem into a located one-line error.
 *
 * @module
 */
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { errorAt, LocatedError, type SourceDoc } from "./located_error.ts";

/** Parse YAML `text` read from `file`; syntax errors become a {@linkcode LocatedError}. */
export function parseYaml(text: string, file: string): SourceDoc {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = lines.linePos(first.pos[0]);
    const what = first.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    throw new LocatedError({ file, line: pos.line, col: pos.col }, "", `invalid YAML: ${what}`);
  }
  return { file, doc, lines };
}

/** Validate the document against `schema`; the first issue becomes a located error. */
export function validate<T extends z.ZodType>(src: SourceDoc, schema: T): z.output<T> {
  const result = schema.safeParse(src.doc.toJS());
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path as PropertyKey[];
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    throw errorAt(src, [...path, key], `unknown key '${key}'; ${issue.message}`, { key: true });
  }
  throw errorAt(src, path, issue.message);
}
