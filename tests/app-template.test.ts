/**
 * The application template's service (seed/app-template) against what the platform gives it: every
 * variable it reads is one the App's manifest or the SQLDatabase's connection Secret sets (its own tests
 * run in tests/github-component.test.ts).
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { appComposition } from "../components/crossplane/app";
import { appResource, DATABASE_CONNECTION_KEYS } from "../components/crossplane/api";
import { appXrd } from "../components/crossplane/xrds";
import { PROFILES } from "../stacks/profiles";
import { PROJECT_ROOT } from "../synth/stack-files";
import { admit, render } from "./crossplane-render";
import { ingressRef } from "./crossplane-fixtures";

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

  it("starts with the environment the App composition gives it: its port, its name and its database", async () => {
    const domain = "dev.example.test";
    const xrd = appXrd({ domain, replicas: PROFILES.dev.appReplicas, defaultComposition: "apps" });
    const composition = appComposition({ name: "apps", domain, ingress: ingressRef("gateway") });
    const app = appResource({
      name: "orders-api",
      namespace: "team-orders",
      image: "ghcr.io/o/orders-api:1.0.0",
      host: `orders-api.${domain}`,
      database: "orders-api",
    });
    const port = 39191;
    const { object, errors } = await admit(xrd, { ...app, spec: { ...(app["spec"] as object), port } });
    assert.deepEqual(errors, []);
    const { resources } = await render(composition, object, {});
    const container = (
      resources["deployment"] as {
        spec: {
          template: {
            spec: {
              containers: Array<{
                env: Array<{ name: string; value: string }>;
                envFrom: unknown;
                readinessProbe: { httpGet: { path: string } };
              }>;
            };
          };
        };
      }
    ).spec.template.spec.containers[0]!;
    // The connection Secret's keys (the SQLDatabase composition writes them) with stand-in values.
    assert.deepEqual(container.envFrom, [{ secretRef: { name: "orders-api-connection" } }]);
    const secret: Record<string, string> = {
      [DATABASE_CONNECTION_KEYS.host]: "orders-api-postgres.team-orders.svc",
      [DATABASE_CONNECTION_KEYS.port]: "5432",
      [DATABASE_CONNECTION_KEYS.database]: "orders-api",
      [DATABASE_CONNECTION_KEYS.user]: "orders-api",
      [DATABASE_CONNECTION_KEYS.password]: "not-a-real-password",
      [DATABASE_CONNECTION_KEYS.sslMode]: "disable",
      [DATABASE_CONNECTION_KEYS.url]:
        "postgres://orders-api:not-a-real-password@orders-api-postgres:5432/orders-api",
    };
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
    const child = spawn(process.execPath, [path.join(TEMPLATE, "src", "server.js")], {
      env: { PATH: process.env["PATH"] ?? "", ...secret, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          if (chunk.toString().includes("listening")) resolve();
        });
        child.on("exit", (code) => reject(new Error(`the service exited with ${String(code)}`)));
      });
      // The path the platform probes, as the composition sets it.
      const health = await fetch(`http://127.0.0.1:${port}${container.readinessProbe.httpGet.path}`);
      assert.equal(health.status, 200);
      const root = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as Record<string, unknown>;
      assert.deepEqual(root, {
        service: "orders-api",
        database: {
          configured: true,
          host: "orders-api-postgres.team-orders.svc",
          port: 5432,
          database: "orders-api",
        },
      });
    } finally {
      child.kill("SIGTERM");
    }
  });
});
