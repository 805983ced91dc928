// A small HTTP service: what the platform's App resource runs. No dependencies, so the image is just
// Node.js and this file. The platform probes /healthz; the App's manifest sets APP_NAME, and the App's
// database connection (when it has one) arrives as environment variables from the SQLDatabase's
// connection Secret (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE, DATABASE_URL). The
// container port is the App's spec.port, 8080 unless the manifest says otherwise.
import { createServer } from "node:http";

const port = Number(process.env.PORT ?? 8080);
const service = process.env.APP_NAME ?? "app";

export function handler(request, response) {
  const url = new URL(request.url ?? "/", "http://localhost");
  if (request.method === "GET" && url.pathname === "/healthz") {
    return reply(response, 200, { status: "ok" });
  }
  if (request.method === "GET" && url.pathname === "/") {
    return reply(response, 200, { service, database: databaseStatus(process.env) });
  }
  return reply(response, 404, { error: "not found" });
}

/** What the service knows of its database: none, or where it is (never the password). */
export function databaseStatus(env) {
  if (env.DATABASE_URL === undefined) return { configured: false };
  return { configured: true, host: env.PGHOST, port: Number(env.PGPORT), database: env.PGDATABASE };
}

function reply(response, status, body) {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

export const server = createServer(handler);

if (import.meta.url === `file://${process.argv[1]}`) {
  server.listen(port, () => console.log(`${service} listening on :${port}`));
  // Kubernetes sends SIGTERM before it stops a pod: finish in-flight requests, then exit.
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}
