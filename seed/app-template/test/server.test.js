import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { databaseStatus, server } from "../src/server.js";

let base;

before(async () => {
  await new Promise((resolve) => server.listen(0, resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => server.close());

test("/healthz answers ok", async () => {
  const response = await fetch(`${base}/healthz`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: "ok" });
});

test("unknown paths answer 404", async () => {
  const response = await fetch(`${base}/nothing-here`);
  assert.equal(response.status, 404);
});

test("/ names the service and whether it has a database", async () => {
  const response = await fetch(`${base}/`);
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(typeof body.service, "string");
  assert.equal(typeof body.database.configured, "boolean");
});

test("the database status comes from the connection Secret's variables, without the password", () => {
  assert.deepEqual(databaseStatus({}), { configured: false });
  assert.deepEqual(
    databaseStatus({
      DATABASE_URL: "postgres://app:secret@db:5432/app",
      PGHOST: "db",
      PGPORT: "5432",
      PGDATABASE: "app",
      PGPASSWORD: "secret",
    }),
    { configured: true, host: "db", port: 5432, database: "app" },
  );
});
