/**
 * One test per Kconfig semantic rule, on small Kconfig snippets. The expected .config is never
 * written by hand: each snippet is run through the real `scripts/kconfig/conf` built from the
 * 6.1 tree (once, in a cached O= directory), and the engine must write the same bytes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { confBinary } from "./_conf.ts";
import { Kconfig } from "../lib/kconfig/kconfig.ts";
import { type MacroHost, shellOutput } from "../lib/kconfig/macro.ts";

/** Environment shared by conf and the engine's host for snippets. */
const ENV: Record<string, string> = { GREETING: "hello", EMPTY_VAR: "" };

type Run =
  | { mode: "allnoconfig" | "allyesconfig" | "allmodconfig" | "alldefconfig"; fragment?: string[] }
  | { mode: "defconfig"; fragment: string[] }
  | { mode: "olddefconfig"; fragment: string[] }
  | { mode: "savedefconfig"; fragment: string[] };

const ALL: Run[] = [
  { mode: "allnoconfig" },
  { mode: "allyesconfig" },
  { mode: "allmodconfig" },
  { mode: "alldefconfig" },
];

interface Conf {
  config: string;
  stdout: string;
  stderr: string;
  ok: boolean;
}

/** Run the real conf on a snippet directory. */
async function runConf(conf: string, dir: string, run: Run): Promise<Conf> {
  const out = join(dir, "out.config");
  try {
    Deno.removeSync(out);
  } catch {
    // not there yet
  }
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    srctree: dir,
    KCONFIG_CONFIG: out,
    ...ENV,
  };
  const frag = join(dir, "frag.config");
  const args: string[] = [];
  if (run.mode === "defconfig") {
    Deno.writeTextFileSync(frag, run.fragment.join("\n") + "\n");
    args.push(`--defconfig=${frag}`);
  } else if (run.mode === "olddefconfig" || run.mode === "savedefconfig") {
    Deno.writeTextFileSync(out, run.fragment.join("\n") + "\n");
    args.push(run.mode === "olddefconfig" ? "--olddefconfig" : `--savedefconfig=${frag}`);
  } else {
    if (run.fragment) {
      Deno.writeTextFileSync(frag, run.fragment.join("\n") + "\n");
      env.KCONFIG_ALLCONFIG = frag;
    }
    args.push(`--${run.mode}`);
  }
  const r = await new Deno.Command(conf, {
    args: [...args, "Kconfig"],
    cwd: dir,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  let config = "";
  try {
    config = Deno.readTextFileSync(run.mode === "savedefconfig" ? frag : out);
  } catch {
    config = "";
  }
  return { config, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr), ok: r.success };
}

/** The engine's host for snippets: same environment, shell commands really run. */
function snippetHost(dir: string): MacroHost {
  return {
    env: (name) => ENV[name] ?? (name === "srctree" ? dir : undefined),
    shell(command) {
      const r = new Deno.Command("sh", { args: ["-c", command], cwd: dir, stdout: "piped" })
        .outputSync();
      return shellOutput(new TextDecoder().decode(r.stdout));
    },
  };
}

function runEngine(dir: string, run: Run): { config: string; kc: Kconfig } {
  const kc = new Kconfig(dir, "arm", snippetHost(dir));
  switch (run.mode) {
    case "defconfig":
      kc.defconfigText(run.fragment.join("\n") + "\n");
      return { config: kc.write(), kc };
    case "olddefconfig":
      kc.olddefconfig(run.fragment.join("\n") + "\n");
      return { config: kc.write(), kc };
    case "savedefconfig":
      kc.olddefconfig(run.fragment.join("\n") + "\n");
      return { config: kc.savedefconfig(), kc };
    default:
      kc[run.mode]({ fragment: run.fragment });
      return { config: kc.write(), kc };
  }
}

/** Check a snippet in every run against conf. */
async function check(files: Record<string, string>, runs: Run[] = ALL): Promise<Kconfig[]> {
  const conf = await confBinary();
  const dir = Deno.makeTempDirSync({ prefix: "kconfig-snippet-" });
  const engines: Kconfig[] = [];
  try {
    for (const [name, text] of Object.entries(files)) {
      Deno.mkdirSync(join(dir, name, ".."), { recursive: true });
      Deno.writeTextFileSync(join(dir, name), text);
    }
    for (const run of runs) {
      const want = await runConf(conf, dir, run);
      assert.ok(want.ok, `conf failed on the snippet (${run.mode}): ${want.stderr}`);
      const got = runEngine(dir, run);
      const label = `${run.mode}${"fragment" in run && run.fragment ? ` ${run.fragment}` : ""}`;
      assert.equal(got.config, want.config, `engine differs from conf for ${label}`);
      engines.push(got.kc);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  return engines;
}

const MODULES = `config MODULES
\tbool "Enable loadable module support"
\tmodules
`;

Deno.test("tristate logic: &&, ||, ! on n/m/y, and m means m && MODULES", async () => {
  await check({
    Kconfig: `${MODULES}
config A
\ttristate "A"
config B
\ttristate "B"
\tdefault m
config AND
\ttristate
\tdefault A && B
config OR
\ttristate
\tdefault A || B
config NOT
\ttristate
\tdefault !B
config DEP_M
\ttristate "depends on m"
\tdepends on m
config BOOL_FROM_M
\tbool
\tdefault B
`,
  }, [
    ...ALL,
    { mode: "defconfig", fragment: ["CONFIG_MODULES=y", "CONFIG_A=m"] },
    { mode: "defconfig", fragment: ["CONFIG_MODULES=y", "CONFIG_A=y", "CONFIG_DEP_M=y"] },
    { mode: "defconfig", fragment: ["CONFIG_A=y", "CONFIG_DEP_M=m"] },
  ]);
});

Deno.test("menu, if and choice dependencies propagate to their entries", async () => {
  await check({
    Kconfig: `${MODULES}
config GATE
\tbool "gate"
menu "Gated menu"
\tdepends on GATE
config IN_MENU
\tbool "in menu"
\tdefault y
comment "a comment inside"
endmenu
if GATE
config IN_IF
\ttristate "in if"
\tdefault y
endif
menuconfig MC
\tbool "menuconfig"
if MC
config UNDER_MC
\tint "under menuconfig"
\tdefault 3
endif
`,
  }, [...ALL, { mode: "defconfig", fragment: ["CONFIG_GATE=y", "CONFIG_MC=y"] }]);
});

Deno.test("select is a lower bound, even over unmet direct dependencies", async () => {
  const [kc] = await check({
    Kconfig: `${MODULES}
config DEP
\tbool "dep"
config TARGET
\ttristate "target"
\tdepends on DEP
config SEL_Y
\tbool "selector y"
\tselect TARGET
config SEL_M
\ttristate "selector m"
\tselect TARGET if DEP
`,
  }, [
    { mode: "defconfig", fragment: ["CONFIG_SEL_Y=y"] },
    { mode: "defconfig", fragment: ["CONFIG_MODULES=y", "CONFIG_DEP=y", "CONFIG_SEL_M=m"] },
    {
      mode: "defconfig",
      fragment: [
        "CONFIG_MODULES=y",
        "CONFIG_DEP=y",
        "# CONFIG_TARGET is not set",
        "CONFIG_SEL_M=y",
      ],
    },
    ...ALL,
  ]);
  // conf warns about the unmet direct dependency of TARGET; so does the engine.
  assert.ok(kc!.warnings.some((w) => w.includes("unmet direct dependencies detected for TARGET")));
});

Deno.test("imply raises the default but stays overridable and bounded by dependencies", async () => {
  await check({
    Kconfig: `${MODULES}
config IMPLIER
\ttristate "implier"
\timply WEAK
\timply BLOCKED
config WEAK
\ttristate "weak"
config BLOCKED
\ttristate "blocked"
\tdepends on NOPE
config NOPE
\tbool "nope"
`,
  }, [
    ...ALL,
    { mode: "defconfig", fragment: ["CONFIG_MODULES=y", "CONFIG_IMPLIER=m"] },
    { mode: "defconfig", fragment: ["CONFIG_IMPLIER=y"] },
    { mode: "defconfig", fragment: ["CONFIG_IMPLIER=y", "# CONFIG_WEAK is not set"] },
  ]);
});

Deno.test("visibility: prompt if, visible if, and promptless symbols", async () => {
  await check({
    Kconfig: `
config SHOW
\tbool "show"
menu "Hidden unless SHOW"
\tvisible if SHOW
config INSIDE
\tbool "inside"
\tdefault y
config INSIDE_NODEF
\tbool "inside without default"
endmenu
config COND_PROMPT
\tbool "conditional prompt" if SHOW
\tdefault y
config NO_PROMPT
\tbool
\tdefault SHOW
`,
  }, [...ALL, { mode: "defconfig", fragment: ["CONFIG_SHOW=y", "# CONFIG_INSIDE is not set"] }, {
    mode: "defconfig",
    fragment: ["# CONFIG_COND_PROMPT is not set", "CONFIG_INSIDE_NODEF=y"],
  }]);
});

Deno.test("defaults apply in order, first visible one wins; def_bool and def_tristate", async () => {
  await check({
    Kconfig: `${MODULES}
config X
\tbool "x"
config MULTI
\ttristate
\tdefault m if X
\tdefault y
config STR
\tstring "string"
\tdefault "from x" if X
\tdefault "fallback \\"quoted\\" \\\\ text"
config DB
\tdef_bool X
config DT
\tdef_tristate m if X
`,
  }, [...ALL, { mode: "defconfig", fragment: ["CONFIG_X=y", "CONFIG_MODULES=y"] }]);
});

Deno.test("int and hex ranges clamp defaults and reject out-of-range values", async () => {
  await check({
    Kconfig: `
config WIDE
\tbool "wide"
config N
\tint "number"
\trange 10 20 if !WIDE
\trange 0 1000
\tdefault 5
config H
\thex "hex"
\trange 0x100 0x1000
\tdefault 0x20
config FROM
\tint
\tdefault N
config CMP
\tbool
\tdefault N > 15
`,
  }, [
    ...ALL,
    { mode: "defconfig", fragment: ["CONFIG_N=100", "CONFIG_H=0x2000"] },
    { mode: "defconfig", fragment: ["CONFIG_WIDE=y", "CONFIG_N=100", "CONFIG_H=0x200"] },
    { mode: "olddefconfig", fragment: ["CONFIG_N=17", "CONFIG_H=200"] },
  ]);
});

Deno.test("choices in y-mode and m-mode, optional choices, choice defaults", async () => {
  await check({
    Kconfig: `${MODULES}
config PREFER_B
\tbool "prefer b"
choice
\tprompt "bool choice"
\tdefault CB if PREFER_B
config CA
\tbool "a"
config CB
\tbool "b"
config CC
\tbool "c"
\tdepends on PREFER_B
endchoice
choice
\ttristate "tristate choice"
config TA
\ttristate "ta"
config TB
\ttristate "tb"
config TBOOL
\tbool "bool in tristate choice"
endchoice
choice
\tprompt "optional"
\toptional
config OA
\tbool "oa"
config OB
\tbool "ob"
endchoice
`,
  }, [
    ...ALL,
    { mode: "defconfig", fragment: ["CONFIG_PREFER_B=y"] },
    { mode: "defconfig", fragment: ["CONFIG_CC=y"] },
    { mode: "defconfig", fragment: ["CONFIG_MODULES=y", "CONFIG_TA=m", "CONFIG_TB=m"] },
    { mode: "defconfig", fragment: ["CONFIG_MODULES=y", "CONFIG_TB=y", "CONFIG_OB=y"] },
    { mode: "allnoconfig", fragment: ["CONFIG_MODULES=y", "CONFIG_TB=m"] },
    { mode: "allyesconfig", fragment: ["CONFIG_MODULES=y"] },
    { mode: "savedefconfig", fragment: ["CONFIG_PREFER_B=y", "CONFIG_CA=y"] },
  ]);
});

Deno.test("multiple definitions merge dependencies and are written once", async () => {
  await check({
    Kconfig: `
config A
\tbool "a"
config B
\tbool "b"
config MULTI
\tbool "multi from A"
\tdepends on A
menu "Elsewhere"
config MULTI
\tbool "multi from B"
\tdepends on B
\tdefault y
endmenu
`,
  }, [
    ...ALL,
    { mode: "defconfig", fragment: ["CONFIG_A=y"] },
    { mode: "defconfig", fragment: ["CONFIG_B=y"] },
    { mode: "savedefconfig", fragment: ["CONFIG_B=y", "# CONFIG_MULTI is not set"] },
  ]);
});

Deno.test("macro language: variables, functions, shell, env fallback, filename, lineno", async () => {
  const [kc] = await check({
    Kconfig: `mainmenu "Test $(GREETING) menu"
simple := $(GREETING)-simple
recursive = $(later)
later := late
appended := one
appended += two
swap = $(2)$(1)
$(info,info says $(simple))
$(warning-if,y,a warning)
config SIMPLE
\tstring "simple"
\tdefault "$(simple)"
config RECURSIVE
\tstring "recursive"
\tdefault "$(recursive) $(appended)"
config FUNC
\tstring "user function"
\tdefault "$(swap,a,b)"
config SHELL
\tstring "shell"
\tdefault "$(shell,printf 'x\\ny\\n\\n')"
config WHERE
\tstring "where"
\tdefault "$(filename):$(lineno)"
config ENVEMPTY
\tstring "empty env"
\tdefault "[$(EMPTY_VAR)][$(UNSET_VARIABLE_XYZ)]"
config SUCCESS
\tdef_bool $(shell,true && echo y || echo n)
source "sub/Kconfig"
`,
    "sub/Kconfig": `config SUB_WHERE
\tstring "sub where"
\tdefault "$(filename)"
`,
  }, [{ mode: "alldefconfig" }]);
  assert.deepEqual(kc!.messages, ["info says hello-simple", "Kconfig:9: a warning"]);
});

Deno.test("comparisons between symbols: int, hex and string", async () => {
  await check({
    Kconfig: `
config N
\tint "n"
\tdefault 12
config H
\thex "h"
\tdefault 0x1f
config S
\tstring "s"
\tdefault "abc"
config LT
\tdef_bool N < 100
config GE_HEX
\tdef_bool H >= 0x20
config EQ_STR
\tdef_bool S = "abc"
config NE_STR
\tdef_bool S != "abd"
config NUMERIC_STRING
\tdef_bool N = "12"
`,
  }, [...ALL, {
    mode: "defconfig",
    fragment: ["CONFIG_N=200", "CONFIG_H=0x40", 'CONFIG_S="abd"'],
  }]);
});

Deno.test("parse errors name file:line like conf does", async () => {
  const conf = await confBinary();
  const cases: Record<string, string>[] = [
    { Kconfig: `config A\n\tbool "a"\n\tdepends on (B\n` },
    { Kconfig: `config A\n\tbool "a"\nmenu "m"\nconfig B\n\tbool "b"\n` },
    { Kconfig: `source "sub/Kconfig"\n`, "sub/Kconfig": `config A\n\tbool\nendif\n` },
    { Kconfig: `x := $(error-if,y,stop here)\n` },
  ];
  for (const files of cases) {
    const dir = Deno.makeTempDirSync({ prefix: "kconfig-snippet-" });
    try {
      for (const [name, text] of Object.entries(files)) {
        Deno.mkdirSync(join(dir, name, ".."), { recursive: true });
        Deno.writeTextFileSync(join(dir, name), text);
      }
      const want = await runConf(conf, dir, { mode: "allnoconfig" });
      assert.ok(!want.ok, "conf must reject the snippet");
      // conf may report several locations while recovering; the engine must name one of them.
      const places = [...want.stderr.matchAll(/^([\w/.]+:\d+):/gm)].map((m) => m[1]);
      assert.ok(places.length, `conf printed no file:line: ${want.stderr}`);
      assert.throws(
        () => new Kconfig(dir, "arm", snippetHost(dir)),
        (e: Error) => places.some((p) => e.message.startsWith(`${p}: `)),
        `engine error must start with one of ${places.join(", ")}`,
      );
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  }
});

/** Expressions for evalExpr, each also the `depends on` of a `V<i>` symbol for conf to decide. */
const EXPRS = [
  "A",
  "m",
  "!B",
  "A && B",
  "A || !B",
  "!(A || B) || m",
  "A = m",
  "B != n && A != y",
  "UNDEF || A",
  "UNDEF = n",
  "N < 100",
  'N >= 13 && S = "abc"',
  'H > 0x1f || S != "abc"',
  "A && (B || N = 12)",
];

Deno.test("evalExpr gives what conf decides for `depends on` with the same text", async () => {
  // `V<i>` is `default y` bounded by its dependency alone, so conf writes the expression's value.
  const kconfig = `${MODULES}
config A
\ttristate "A"
config B
\ttristate "B"
\tdefault m
config N
\tint "n"
\tdefault 12
config H
\thex "h"
\tdefault 0x1f
config S
\tstring "s"
\tdefault "abc"
${EXPRS.map((e, i) => `config V${i}\n\ttristate\n\tdefault y\n\tdepends on ${e}\n`).join("")}`;
  const engines = await check({ Kconfig: kconfig }, [
    ...ALL,
    { mode: "defconfig", fragment: ["CONFIG_MODULES=y", "CONFIG_A=m", "CONFIG_N=200"] },
    { mode: "defconfig", fragment: ["CONFIG_MODULES=y", "CONFIG_A=y", "CONFIG_B=n"] },
    { mode: "defconfig", fragment: ["CONFIG_MODULES=y", 'CONFIG_S="x"', "CONFIG_H=0x40"] },
  ]);
  const seen = new Set<string>();
  for (const kc of engines) {
    // The engine's .config is byte-identical to conf's (checked above): read conf's values.
    const written = new Map(
      [...kc.write().matchAll(/^CONFIG_(V\d+)=(.*)$/gm)].map((m) => [m[1], m[2]]),
    );
    EXPRS.forEach((e, i) => {
      const want = written.get(`V${i}`) ?? "n";
      const got = kc.evalExpr(e);
      assert.equal(got.value, want, `evalExpr('${e}')`);
      seen.add(want);
    });
  }
  assert.deepEqual([...seen].sort(), ["m", "n", "y"], "the runs must reach all three values");
});

Deno.test("evalExpr names the symbols and leaves the tree as it was", async () => {
  const dep = "A && !(UNDEF || MODULES != y) && 12 < 13";
  const [kc] = await check({
    Kconfig:
      `${MODULES}config A\n\ttristate "A"\nconfig V\n\ttristate\n\tdefault y\n\tdepends on ${dep}\n`,
  }, [{ mode: "defconfig", fragment: ["CONFIG_MODULES=y", "CONFIG_A=m"] }]);
  const before = kc!.write();
  const want = before.match(/^CONFIG_V=(.*)$/m)?.[1] ?? "n";
  const names = [...kc!.tree.symbols.keys()];
  // A name the tree never mentions is n just like UNDEF, which the tree mentions but never defines.
  const got = kc!.evalExpr(dep.replace("UNDEF", "NOT_IN_TREE"));
  assert.deepEqual(got, { value: want, symbols: ["A", "NOT_IN_TREE", "MODULES"] });
  assert.deepEqual([...kc!.tree.symbols.keys()], names);
  assert.equal(kc!.write(), before);
});

Deno.test("evalExpr rejects what conf rejects after `depends on`", async () => {
  const conf = await confBinary();
  const good = Deno.makeTempDirSync({ prefix: "kconfig-snippet-" });
  const bad = Deno.makeTempDirSync({ prefix: "kconfig-snippet-" });
  try {
    Deno.writeTextFileSync(join(good, "Kconfig"), `config A\n\tbool "a"\n`);
    const kc = new Kconfig(good, "arm", snippetHost(good));
    for (const text of ["A &&", "(A", "A B", "A & B", "A || depends", ""]) {
      Deno.writeTextFileSync(join(bad, "Kconfig"), `config A\n\tbool "a"\n\tdepends on ${text}\n`);
      const want = await runConf(conf, bad, { mode: "allnoconfig" });
      assert.ok(!want.ok, `conf must reject 'depends on ${text}'`);
      assert.throws(
        () => kc.evalExpr(text),
        (e: Error) => e.message.startsWith(`Cannot evaluate Kconfig expression '${text}': `),
      );
    }
  } finally {
    Deno.removeSync(good, { recursive: true });
    Deno.removeSync(bad, { recursive: true });
  }
});
