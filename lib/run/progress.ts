/**
 * Progress of a run for people and for CI logs. On a terminal: a live block (log-update) with
 * one line per running build — phase, objects compiled of the number the Kbuild model predicts,
 * elapsed time — and an overall bar. Without a terminal (CI): plain timestamped lines, one when
 * a build starts and ends and one per running build at least every 30 s.
 *
 * @module
 */
import { createLogUpdate } from "log-update";
import pc from "picocolors";
import process from "node:process";
import type { RunEvent } from "./run_matrix.ts";
import { sharedWith } from "../results/model.ts";

/** Options for {@linkcode progressDisplay}. */
export interface ProgressOptions {
  /** Print each step's exact command. */
  verbose?: boolean;
  /** Live terminal display (default: whether stderr is a terminal). */
  tty?: boolean;
  /** Seconds between the plain lines of a running build (default 30). */
  intervalS?: number;
  /** Where plain lines go (default: stderr). */
  write?: (line: string) => void;
}

/** A progress display: feed it the run's events, close it at the end. */
export interface ProgressDisplay {
  /** Take one event of the run. */
  onEvent(e: RunEvent): void;
  /** Stop the timers and leave the terminal clean. */
  close(): void;
}

interface Running {
  cell: string;
  variant: string;
  step: string;
  objects: number;
  expected: number;
  started: number;
  configOnly: boolean;
}

/** Make the display for this terminal (or CI log). */
export function progressDisplay(options: ProgressOptions = {}): ProgressDisplay {
  const tty = options.tty ?? Deno.stderr.isTerminal();
  const write = options.write ?? ((line: string) => console.error(line));
  const running = new Map<string, Running>();
  let done = 0, total = 0;
  const live = tty ? createLogUpdate(process.stderr) : undefined;
  const keyOf = (e: { cell: string; variant: string }) => `${e.variant} ${e.cell}`;
  const elapsed = (r: Running) => Math.round((performance.now() - r.started) / 1000);
  const describe = (r: Running) =>
    `${r.variant} ${r.cell}: ${r.configOnly ? "config (shared?)" : r.step}` +
    (r.expected
      ? `, ${r.objects}/${r.expected} objects`
      : r.objects
      ? `, ${r.objects} objects`
      : "") +
    `, ${elapsed(r)} s`;
  const stamp = () => new Date().toISOString().slice(11, 19);
  const say = (line: string) => {
    if (live) {
      live.clear();
      write(line);
      render();
    } else {
      write(`${stamp()} ${line}`);
    }
  };
  const render = () => {
    if (!live) return;
    const width = 30;
    const filled = total ? Math.round((done / total) * width) : 0;
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} records`;
    live([...[...running.values()].map((r) => `  ${describe(r)}`), bar].join("\n"));
  };
  const timer = setInterval(() => {
    if (live) render();
    else for (const r of running.values()) write(`${stamp()} running: ${describe(r)}`);
  }, live ? 1000 : (options.intervalS ?? 30) * 1000);

  return {
    onEvent(e: RunEvent) {
      switch (e.kind) {
        case "progress":
          say(pc.dim(e.line));
          break;
        case "predict": {
          const p = e.prediction;
          if (options.verbose) {
            say(
              `predicted ${e.variant} ${e.cell}: ${p.status}${
                p.signatures.length ? ` (${p.signatures.join(", ")})` : ""
              }`,
            );
          }
          break;
        }
        case "start":
          total = e.total;
          running.set(keyOf(e), {
            cell: e.cell,
            variant: e.variant,
            step: "start",
            objects: 0,
            expected: e.configOnly ? 0 : e.expected,
            started: performance.now(),
            configOnly: e.configOnly,
          });
          say(`start ${e.variant} ${e.cell} (-j${e.jobs}${e.configOnly ? ", config only" : ""})`);
          break;
        case "step": {
          const r = running.get(keyOf(e));
          if (r) r.step = e.step;
          if (options.verbose) say(pc.dim(`  ${e.variant} ${e.cell} ${e.step}: ${e.command}`));
          break;
        }
        case "building": {
          const r = running.get(keyOf(e));
          if (r) {
            r.step = e.progress.step;
            r.objects = e.progress.objects;
          }
          break;
        }
        case "done": {
          running.delete(keyOf(e.result));
          total = e.total;
          done = e.index;
          const r = e.result;
          const first = r.diagnostics.find((d) => d.severity === "error");
          const how = r.cached
            ? " (cache)"
            : r.shared
            ? ` (shared with ${sharedWith(r.shared)})`
            : "";
          const p = r.prediction;
          const verdict = p
            ? `; prediction ${p.verdict === "confirmed" ? pc.green(p.verdict) : pc.red(p.verdict)}${
              p.differences.length ? `: ${p.differences.join("; ")}` : ""
            }`
            : "";
          say(
            `[${e.index}/${e.total}] ${r.variant} ${r.cell}: ${r.status}${how} in ${r.duration_s} s${
              first ? `: ${first.signature}` : ""
            }${verdict}`,
          );
          for (const line of r.dropped) say(pc.yellow(`  dropped by Kconfig: ${line}`));
          break;
        }
      }
      if (live) render();
    },
    close() {
      clearInterval(timer);
      live?.clear();
      live?.done();
    },
  };
}
