import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { server } from "../src/server.js";

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
