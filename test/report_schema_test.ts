/**
 * The committed JSON Schema of results.json (lib/results/results.schema.json) is the one the
 * model generates, and a maintained JSON Schema validator (ajv, draft 2020-12) accepts a real
 * results.json with it (test/fixtures/report/) and
 * rejects broken ones.
 */
import "./_cache.ts";
import { REPORT_FIXTURE } from "./_report_fixture.ts";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import { assert, assertEquals } from "./_assert.ts";
import { RESULTS_JSON_SCHEMA } from "../lib/results/model.ts";

const ROOT = join(import.meta.dirname!, "..");
const SCHEMA = join(ROOT, "lib/results/results.schema.json");
const FIXTURE = join(REPORT_FIXTURE, "results.json");

Deno.test("results schema: the committed file is the one the model generates", async () => {
  const committed = await Deno.readTextFile(SCHEMA);
  assertEquals(
    committed,
    JSON.stringify(RESULTS_JSON_SCHEMA, null, 2) + "\n",
    'regenerate it: deno eval \'import {RESULTS_JSON_SCHEMA as s} from "./lib/results/model.ts"; ' +
      "console.log(JSON.stringify(s, null, 2))' > lib/results/results.schema.json",
  );
  assertEquals(JSON.parse(committed).$schema, "https://json-schema.org/draft/2020-12/schema");
});

Deno.test("results schema: ajv (draft 2020-12) accepts a real results.json, rejects broken ones", async () => {
  const schema = JSON.parse(await Deno.readTextFile(SCHEMA));
  // deno-lint-ignore no-explicit-any
  const ajv = new (Ajv2020 as any)({ strict: false, allErrors: true });
  const validate = ajv.compile(schema);
  const real = JSON.parse(await Deno.readTextFile(FIXTURE));
  assert.ok(validate(real), JSON.stringify(validate.errors));
  assert.ok(real.results.length >= 4 && real.provenance, "a whole run with its provenance");

  const broken = (change: (r: typeof real) => void) => {
    const copy = structuredClone(real);
    change(copy);
    return copy;
  };
  const cases: [string, unknown, RegExp][] = [
    ["an unknown status", broken((r) => (r.results[0].status = "exploded")), /status/],
    ["an older version", broken((r) => (r.version = 1)), /version/],
    ["no results", broken((r) => delete r.results), /results/],
    ["a step without its command", broken((r) => delete r.results[0].steps[0].command), /command/],
    [
      "a diagnostic without signature",
      broken((r) => {
        const rec = r.results.find((x: { diagnostics: unknown[] }) => x.diagnostics.length > 0);
        delete rec.diagnostics[0].signature;
      }),
      /signature/,
    ],
    [
      "a size in words",
      broken((r) => {
        const rec = r.results.find((x: { size?: unknown }) => x.size);
        rec.size.text = "big";
      }),
      /text/,
    ],
  ];
  for (const [what, doc, where] of cases) {
    assert.equal(validate(doc), false, `${what} is rejected`);
    assert.match(JSON.stringify(validate.errors), where, what);
  }
});
