/**
 * A model of deleting a SQLDatabase: what Kubernetes and the providers do when the XR goes, so a test
 * can walk the order the composed Usages allow and find any object deleted while another one's
 * deletion still needs it.
 *
 * Upstream behaviour it encodes:
 * - Deleting an XR removes only its finalizer; the garbage collector then deletes every composed object
 *   at once through their owner references (crossplane v2.3.4,
 *   internal/controller/apiextensions/composite/reconciler.go). Nothing else orders it.
 * - A Usage's `of` cannot be deleted while its `by` exists: the usage webhook answers 409 and
 *   `replayDeletion` repeats the deletion once the Usage is gone (internal/webhook/protection/usage/
 *   handler.go, internal/controller/protection/usage/reconciler.go). A composed Usage that is itself
 *   being deleted waits for its `by` to be gone first (same reconciler, "Waiting for the using resource").
 * - provider-sql v0.16.0 Database, Grant and Role: Delete connects through the ProviderConfig, whose
 *   credentials are the `<name>-master` Secret, and runs SQL on the server; if it cannot, the finalizer
 *   stays (pkg/controller/namespaced/postgresql/{database,grant,role}/reconciler.go, Connect and
 *   Delete). Without `Delete` in managementPolicies nothing connects: the object just goes.
 * - Postgres refuses DROP ROLE while the role owns a database or has members.
 * - The ProviderConfig itself is held by provider-sql's ProviderConfigUsages until the last SQL object
 *   using it is gone (crossplane-runtime v2 pkg/reconciler/providerconfig), so it is never the gap.
 */
type Json = Record<string, unknown>;

/** Composition resource names of what provider-sql reaches the server through, per mode. */
export const SERVER_PATH = {
  "in-cluster": ["server", "server-service"],
  rds: ["instance", "security-group", "ingress-security-group-0", "ingress-cidr-0"],
} as const;

const SQL_OBJECTS = ["role", "master-membership", "database"];

function deletes(object: Json): boolean {
  const policies = (object["spec"] as { managementPolicies?: string[] } | undefined)?.managementPolicies;
  return policies === undefined || policies.includes("*") || policies.includes("Delete");
}

/** What each composed object needs to exist while its own deletion runs, and what must be gone first. */
export function deletionNeeds(
  resources: Readonly<Record<string, Json>>,
  mode: keyof typeof SERVER_PATH,
): Record<string, { present: string[]; goneFirst: string[] }> {
  const needs: Record<string, { present: string[]; goneFirst: string[] }> = {};
  for (const [name, object] of Object.entries(resources)) {
    const sql = SQL_OBJECTS.includes(name) && deletes(object);
    needs[name] = {
      present: sql ? ["master-credentials", ...SERVER_PATH[mode]].filter((n) => n in resources) : [],
      goneFirst: name === "role" && sql ? ["database", "master-membership"] : [],
    };
  }
  return needs;
}

interface Ref {
  readonly apiVersion: string;
  readonly kind: string;
  readonly resourceRef?: { readonly name: string };
  readonly resourceSelector?: { readonly matchControllerRef: true };
}

/** The composition resource name a Usage end points at, among the rendered resources. */
function resolve(resources: Readonly<Record<string, Json>>, ref: Ref): string {
  const matches = Object.entries(resources).filter(
    ([, o]) =>
      o["apiVersion"] === ref.apiVersion &&
      o["kind"] === ref.kind &&
      (ref.resourceRef === undefined || (o["metadata"] as Json)["name"] === ref.resourceRef.name),
  );
  if (matches.length !== 1) {
    throw new Error(`Usage end ${JSON.stringify(ref)} matches ${matches.length} composed resources`);
  }
  return matches[0]![0];
}

/**
 * Deletes everything at once and lets Usages hold back what they protect. Returns the order (each step
 * the objects whose deletion completes together) and every violation: an object whose deletion ran
 * while something it needs was gone, or before something that had to go first.
 */
export function walkDeletion(
  resources: Readonly<Record<string, Json>>,
  mode: keyof typeof SERVER_PATH,
): { steps: string[][]; violations: string[] } {
  const usages = Object.entries(resources)
    .filter(([, o]) => o["kind"] === "Usage")
    .map(([name, o]) => {
      const spec = o["spec"] as { of: Ref; by: Ref; replayDeletion?: boolean };
      return { name, of: resolve(resources, spec.of), by: resolve(resources, spec.by) };
    });
  const needs = deletionNeeds(resources, mode);
  for (const usage of usages) needs[usage.name]!.goneFirst.push(usage.by);
  const gone = new Set<string>();
  const steps: string[][] = [];
  const violations: string[] = [];
  while (gone.size < Object.keys(resources).length) {
    const step = Object.keys(resources).filter(
      (name) =>
        !gone.has(name) &&
        !usages.some((u) => u.of === name && !gone.has(u.by) && !gone.has(u.name)) &&
        needs[name]!.goneFirst.every((n) => gone.has(n) || !(n in resources)),
    );
    if (step.length === 0) {
      violations.push(
        `deadlock: ${Object.keys(resources)
          .filter((n) => !gone.has(n))
          .join(", ")} never go`,
      );
      break;
    }
    // Objects of one step go together: none of them may need another of the same step.
    for (const name of step) {
      for (const needed of needs[name]!.present) {
        if (gone.has(needed) || (step.includes(needed) && needed !== name)) {
          violations.push(`${name} is deleted while it still needs ${needed}`);
        }
      }
    }
    step.forEach((name) => gone.add(name));
    steps.push(step);
  }
  return { steps, violations };
}
