/**
 * Hazard rules: data in `cross/hazards/<name>.yaml` saying when a build fails and with which
 * diagnostic, in terms of the resolved config (a Kconfig expression) and the Kbuild object
 * model (which objects are built in or in modules). One code path applies every rule:
 *
 * 1. the rule applies to the cell's ARCH and its `when` expression is y or m (evaluated by the
 *    Kconfig engine, like a `depends on`: see `Kconfig#evalExpr`);
 * 2. its finder lists the offending objects among those the build makes:
 *    `narrow-atomic-operand` scans their C sources (see {@linkcode scanNarrowAtomics}),
 *    `objects` takes a written list (whose provenance the rule file must give);
 * 3. each hit yields `diagnostics.builtin` (object in vmlinux) or `diagnostics.module` with
 *    `{symbol}`, `{object}`, `{module}` filled in, plus the rule's `consequences`.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { parse } from "yaml";
import { CROSS_DIR } from "../matrix/cross_data.ts";
import type { KbuildModel } from "../kbuild/kbuild_objects.ts";
import type { ExprValue } from "../kconfig/kconfig.ts";
import { NARROW_SIZES, type NarrowAtomic, scanNarrowAtomics } from "./narrow_atomics.ts";
import { type BadPath, deriveBadSizes } from "./bad_sizes.ts";
import { InputError } from "../errors.ts";
import { type TargetStages, targetStages } from "../kbuild/target_stages.ts";

const ruleSchema: z.ZodType<HazardRule> = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  summary: z.string(),
  arch: z.array(z.string()).min(1),
  when: z.string().default("y"),
  finder: z.discriminatedUnion("kind", [
    z.object({
      kind: z.literal("narrow-atomic-operand"),
      symbols: z.array(z.string().regex(/^\w+$/)).min(1),
      headers: z.array(z.string()).min(1).optional(),
    }).strict(),
    z.object({
      kind: z.literal("objects"),
      objects: z.array(z.object({ object: z.string(), symbol: z.string() }).strict()).min(1),
    }).strict(),
  ]),
  diagnostics: z.object({ builtin: z.string(), module: z.string() }).strict(),
  consequences: z.object({
    builtin: z.array(z.string()).default([]),
    module: z.array(z.string()).default([]),
  }).strict().default({ builtin: [], module: [] }),
  explain: z.string(),
}).strict();

/** One hazard rule, as read from `cross/hazards/<name>.yaml`: policy, not what the tree says. */
export interface HazardRule {
  /** Rule name, the file's name. */
  name: string;
  /** One line on what goes wrong. */
  summary: string;
  /** Arches it applies to. */
  arch: string[];
  /** Kconfig expression under which it applies (default `y`). */
  when: string;
  /** How the objects that fail are found. */
  finder:
    | { kind: "narrow-atomic-operand"; symbols: string[]; headers?: string[] }
    | { kind: "objects"; objects: { object: string; symbol: string }[] };
  /** Signature templates of the diagnostic, for built-in objects and modules. */
  diagnostics: { builtin: string; module: string };
  /** make-level errors that follow. */
  consequences: { builtin: string[]; module: string[] };
  /** The explanation shown with a prediction. */
  explain: string;
}

/** The default rule directory, `cross/hazards/`. */
export const HAZARD_DIR: string = join(CROSS_DIR, "hazards");

/**
 * Read every `*.yaml` rule of a directory, sorted by name.
 *
 * @param dir The directory (default {@linkcode HAZARD_DIR}).
 */
export function loadHazardRules(dir: string = HAZARD_DIR): HazardRule[] {
  const out: HazardRule[] = [];
  const names = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".yaml"))
    .map((e) => e.name).sort();
  for (const name of names) {
    const file = join(dir, name);
    const r = ruleSchema.safeParse(parse(Deno.readTextFileSync(file)));
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new InputError(
        `Cannot read hazard rule '${file}': ${issue?.path.join(".") || "(top)"}: ${issue?.message}`,
      );
    }
    if (`${r.data.name}.yaml` !== name) {
      throw new InputError(
        `Cannot read hazard rule '${file}': name '${r.data.name}' differs from the file name`,
      );
    }
    out.push(r.data);
  }
  return out;
}

/** One offending object a rule found. */
export interface HazardHit {
  /** Object relative to the build directory (`drivers/xen/grant-table.o`). */
  object: string;
  /** The module holding it, when it is in a module. */
  module?: string;
  /** The undefined symbol (or other subject) of the diagnostic. */
  symbol: string;
  /** The expected diagnostic signature. */
  signature: string;
  /** Human explanation of this hit. */
  reason: string;
  /** The source evidence, for source-scan finders. */
  evidence?: NarrowAtomic;
}

/** What one rule said about one cell. */
export interface RuleOutcome {
  /** Rule name. */
  rule: string;
  /** Whether the `when` expression held (and the ARCH matched). */
  applies: boolean;
  /** The symbols of `when` with their values, such as `CPU_V6=y`. */
  condition: string[];
  /** The offending objects (empty when nothing is built that triggers it). */
  hits: HazardHit[];
  /** Expected make-level consequences (`make:1:vmlinux`) when there are hits. */
  consequences: string[];
}

/** The cell facts a rule is evaluated against. */
export interface HazardContext {
  /** Kernel source tree. */
  src: string;
  /** Kernel ARCH. */
  arch: string;
  /** SRCARCH. */
  srcarch: string;
  /** Resolved value of a Kconfig symbol without `CONFIG_`. */
  value: (name: string) => string;
  /** Value of a Kconfig expression under the cell's config (`Kconfig#evalExpr`). */
  evalExpr: (text: string) => ExprValue;
  /** The object model of the build. */
  model: KbuildModel;
  /**
   * The stages the build's targets reach (default: both): a built-in object's hazard shows at
   * the vmlinux link, a module's at modpost; a build that stops before either shows neither.
   */
  stages?: TargetStages;
}

function fill(template: string, vars: Record<string, string | number | undefined>): string {
  return template.replace(/\{(\w+)\}/g, (m, k) => vars[k] === undefined ? m : String(vars[k]));
}

/** The C source of an object, relative to the tree, when there is one. */
function cSource(object: string): string {
  return object.replace(/\.o$/, ".c");
}

/**
 * Apply one rule to a cell.
 *
 * @param rule The rule.
 * @param ctx The cell's config, object model and tree.
 */
export function applyHazardRule(rule: HazardRule, ctx: HazardContext): RuleOutcome {
  const when = ctx.evalExpr(rule.when);
  const condition = when.symbols.map((s) => `${s}=${ctx.value(s)}`);
  const applies = rule.arch.includes(ctx.arch) && when.value !== "n";
  const outcome: RuleOutcome = { rule: rule.name, applies, condition, hits: [], consequences: [] };
  if (!applies) return outcome;
  const stages = ctx.stages ?? targetStages([]);
  const places: { object: string; module?: string }[] = [
    ...(stages.link ? ctx.model.builtin.map((object) => ({ object })) : []),
    ...(stages.modpost
      ? [...ctx.model.modules].flatMap(([module, objs]) =>
        objs.map((object) => ({ object, module }))
      )
      : []),
  ];
  const hit = (
    place: { object: string; module?: string },
    symbol: string,
    evidence?: NarrowAtomic,
    path: Record<string, string> = {},
  ) => {
    const vars = { ...evidence, ...path, ...place, symbol };
    outcome.hits.push({
      ...place,
      symbol,
      signature: fill(place.module ? rule.diagnostics.module : rule.diagnostics.builtin, vars),
      reason: fill(rule.explain, vars),
      ...(evidence ? { evidence } : {}),
    });
  };
  const finder = rule.finder;
  if (finder.kind === "objects") {
    const at = new Map(places.map((p) => [p.object, p]));
    for (const o of finder.objects) {
      const place = at.get(o.object);
      if (place) hit(place, o.symbol);
    }
  } else {
    // Which operations of which sizes reach the symbols: read from the tree under this config.
    const bad = deriveBadSizes(ctx.src, {
      srcarch: ctx.srcarch,
      value: ctx.value,
      symbols: finder.symbols,
      ...(finder.headers ? { headers: finder.headers } : {}),
    });
    for (const s of bad.condition) {
      if (!when.symbols.includes(s)) outcome.condition.push(`${s}=${ctx.value(s)}`);
    }
    const paths = new Map<string, BadPath>();
    for (const [name, ps] of bad.byName) {
      for (const p of ps) if (NARROW_SIZES.includes(p.size)) paths.set(`${name}\0${p.size}`, p);
    }
    if (paths.size === 0) outcome.applies = false;
    const calls = [...new Set([...paths.values()].map((p) => p.name))];
    for (const place of calls.length > 0 ? places : []) {
      const found = scanNarrowAtomics(ctx.src, cSource(place.object), {
        calls,
        value: ctx.value,
        srcarch: ctx.srcarch,
      });
      const symbols = new Set<string>();
      for (const f of found) {
        const p = paths.get(`${f.call}\0${f.size}`);
        if (!p || symbols.has(p.symbol)) continue;
        symbols.add(p.symbol);
        hit(place, p.symbol, f, { via: [...p.via].join(" → "), at: p.at });
      }
    }
  }
  if (outcome.hits.some((h) => !h.module)) outcome.consequences.push(...rule.consequences.builtin);
  if (outcome.hits.some((h) => h.module)) outcome.consequences.push(...rule.consequences.module);
  return outcome;
}
