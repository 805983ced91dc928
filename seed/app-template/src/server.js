// A small HTTP service: what the platform's App resource runs. No dependencies, so the image is just
// Node.js and this file. The platform probes /healthz; the App's database connection (when it has one)
// arrives as environment variables from the SQLDatabase's connection Secret.
import { createServer } from "node:http";

const port = Number(process.env.PORT ?? 8080);
const service = process.env.APP_NAME ?? "app";

export function handler(request, response) {
  const url = new URL(request.url ?? "/", "http://localhost");
  if (request.method === "GET" && url.pathname === "/healthz") {
    return reply(response, 200, { status: "ok" });
  }
  if (request.method === "GET" && url.pathname === "/") {
    return reply(response, 200, { service, database: process.env.DATABASE_HOST !== undefined });
  }
  return reply(response, 404, { error: "not found" });
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
