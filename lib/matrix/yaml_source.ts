/**
 * Read a YAML file into a {@linkcode SourceDoc}, validate it with a zod schema, and turn every
 * problem into a located one-line error.
 *
 * @module
 */
import { LineCounter, type Node, parseDocument, visit } from "yaml";
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
  const result = schema.safeParse(toJS(src));
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path as PropertyKey[];
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    throw errorAt(src, [...path, key], `unknown key '${key}'; ${issue.message}`, { key: true });
  }
  throw errorAt(src, path, issue.message);
}

/**
 * The document as plain data. The yaml library throws a `ReferenceError` for an alias without
 * an anchor before it (`*x`) and for aliases expanding too much (a "billion laughs" file);
 * both are bad input, said at the alias.
 */
function toJS(src: SourceDoc): unknown {
  try {
    return src.doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    let at: Node | undefined, unresolved = false;
    visit(src.doc, {
      Alias(_, node) {
        if (!node.resolve(src.doc)) {
          at = node;
          unresolved = true;
          return visit.BREAK;
        }
        at ??= node;
      },
    });
    const pos = src.lines.linePos(at?.range?.[0] ?? 0);
    const what = (e as Error).message.split("\n")[0]!;
    throw new LocatedError(
      { file: src.file, line: pos.line, col: pos.col },
      "",
      `invalid YAML: ${what}; ${
        unresolved ? "define the anchor (&name) before its alias" : "write the values out"
      }`,
    );
  }
}
