/**
 * The application template's service (seed/app-template) against what the platform gives it: every
 * variable it reads is one the App's manifest or the SQLDatabase's connection Secret sets (its own tests
 * run in tests/github-component.test.ts).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { appResource, DATABASE_CONNECTION_KEYS } from "../components/crossplane/api";
import { PROJECT_ROOT } from "../synth/stack-files";

const TEMPLATE = path.join(PROJECT_ROOT, "seed", "app-template");

describe("the application template's service", () => {
  it("reads only variables the platform sets", () => {
    const source = fs.readFileSync(path.join(TEMPLATE, "src", "server.js"), "utf8");
    const read = new Set([...source.matchAll(/\benv\.([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!));
    assert.ok(read.has("DATABASE_URL") && read.has("APP_NAME"), [...read].join(", "));
    const app = appResource({
      name: "x",
      namespace: "team-x",
      image: "ghcr.io/o/x:1",
      host: "x.example.test",
      database: "x",
    });
    const manifest = ((app["spec"] as { env: Array<{ name: string }> }).env ?? []).map((e) => e.name);
    const provided = new Set([...manifest, ...Object.values(DATABASE_CONNECTION_KEYS), "PORT"]);
    assert.deepEqual(
      [...read].filter((name) => !provided.has(name)),
      [],
      "read by the service but set by neither the App's manifest nor the connection Secret",
    );
  });
});
